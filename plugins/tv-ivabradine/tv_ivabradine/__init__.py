"""TwinViewer plugin: ivabradine as an intervention (imported on first use only)."""
