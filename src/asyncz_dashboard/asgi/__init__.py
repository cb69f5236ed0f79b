"""Our small ASGI toolkit: request, responses, routing, sessions, CSRF, static files.

It knows nothing about schedulers; the dashboard is built on top of it.
"""
