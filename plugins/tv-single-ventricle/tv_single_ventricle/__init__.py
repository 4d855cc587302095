"""TwinViewer plugin: a single-ventricle elastance model with a three-element Windkessel.

Nothing is imported here: TwinViewer reads ``twinviewer.toml`` without importing the package
and imports :mod:`tv_single_ventricle.model` only when the model is first used.
"""
