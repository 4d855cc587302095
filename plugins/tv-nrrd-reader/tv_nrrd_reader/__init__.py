"""TwinViewer plugin: an NRRD reader (imported on first use only)."""
