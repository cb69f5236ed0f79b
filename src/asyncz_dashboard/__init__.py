"""asyncz-dashboard: a pure-ASGI operations dashboard for Asyncz schedulers."""

from .admin import AsynczAdmin
from .config import DashboardConfig

__all__ = ["AsynczAdmin", "DashboardConfig"]
__version__ = "0.1.0"
