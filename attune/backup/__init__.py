"""Backup and restore of the embedded stores (``attune backup`` / ``attune restore``)."""
