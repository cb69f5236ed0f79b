"""Moved to ``asyncz_dashboard.recording``; its names stay importable from here."""

from . import recording
from .recording import *  # noqa: F403 (re-exported: this module is the old home)

__all__ = recording.__all__
