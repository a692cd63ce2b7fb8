"""The full stack in a real browser: headless Chromium from Debian's packages."""
