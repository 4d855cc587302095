"""The plugin-author fixtures of :mod:`twinviewer.testing`, used here as authors use them."""

from twinviewer.testing import plugin_config, plugin_registry  # noqa: F401
