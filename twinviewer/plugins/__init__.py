"""Plugins: static manifests, discovery through entry points, one registry, failure isolation.

A plugin is an installed distribution with an entry point in the group ``twinviewer.plugins``
whose value names a TOML manifest inside one of its packages (``"my_pkg:twinviewer.toml"``).
Manifests are read without importing the plugin; a contribution is imported on first use.
The core's own models, presets, interventions and commands are contributions of the built-in
plugin ``twinviewer`` in the same registry.
"""

from twinviewer.plugins.manifest import API_VERSION, KINDS, Contribution, Manifest, ManifestError
from twinviewer.plugins.registry import PluginError, Registry, get_registry

__all__ = ["API_VERSION", "KINDS", "Contribution", "Manifest", "ManifestError", "PluginError",
           "Registry", "get_registry"]
