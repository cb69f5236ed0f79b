"""Browser tests: the dashboard served by hypercorn, driven in headless Chromium."""
