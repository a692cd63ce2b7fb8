"""The engine's metrics, traces and health (issue 17): built by the composition root
(engine/main.py) from the settings, never at import time."""
