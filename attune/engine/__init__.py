"""Attune's adaptive learning engine: a pure domain core behind a gRPC service."""
