"""Plugin manifests, discovery, registry and failure isolation."""
