"""Runnable examples: the dashboard embedded in Starlette, FastAPI, Quart, Lilya, or alone."""
