"""asyncz-dashboard: a pure-ASGI operations dashboard for Asyncz schedulers."""

from .admin import AsynczAdmin
from .auth import LoginThrottle, SimpleUsernamePasswordBackend, TrustedHeaderBackend, User
from .compat import create_dashboard_app
from .config import DashboardConfig

__all__ = [
    "AsynczAdmin",
    "DashboardConfig",
    "LoginThrottle",
    "SimpleUsernamePasswordBackend",
    "TrustedHeaderBackend",
    "User",
    "create_dashboard_app",
]
__version__ = "0.1.0"
