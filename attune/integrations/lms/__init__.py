"""LMS-specific configuration and quirks."""
