"""The HTTP surface: routes and templates."""
