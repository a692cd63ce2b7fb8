"""Platform- and vendor-specific adapters (LMS quirks, LRS clients), kept out of the core."""
