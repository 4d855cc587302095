"""Plugins: static manifests, discovery through entry points, one registry, failure isolation.

A plugin is an installed distribution with an entry point in the group ``twinviewer.plugins``
whose value names a TOML manifest inside one of its packages (``"my_pkg:twinviewer.toml"``).
Manifests are read without importing the plugin; a contribution is imported on first use.
The core's own models, presets, interventions and commands are contributions of the built-in
plugin ``twinviewer`` in the same registry.
"""

from twinviewer.plugins.manifest import API_VERSION, KINDS, Contribution, Manifest, ManifestError
from twinviewer.plugins.registry import PluginError, Registry, get_registry


def install_lookups() -> None:
    """Let :mod:`twinviewer.twins` find plugin models and presets through the registry.

    The registry is built on the first lookup (manifests only), not here.
    """
    from twinviewer import twins
    from twinviewer.physiology import ModelError

    def lookup(kind: str, name: str):
        reg = get_registry()
        if reg.find(kind, name) is None:
            raise KeyError(name)
        try:
            return reg.load(kind, name)
        except PluginError as exc:  # named, and the plugin is disabled; the caller's type
            raise ModelError(str(exc)) from None

    twins.PLUGIN_LOOKUP = lookup
    twins.PLUGIN_NAMES = lambda kind: get_registry().names(kind)


install_lookups()

__all__ = ["API_VERSION", "KINDS", "Contribution", "Manifest", "ManifestError", "PluginError",
           "Registry", "get_registry", "install_lookups"]
