"""asyncz-dashboard: a pure-ASGI operations dashboard for Asyncz schedulers."""

from .admin import AsynczAdmin
from .auth import LoginThrottle, SimpleUsernamePasswordBackend, TrustedHeaderBackend, User
from .config import DashboardConfig

__all__ = [
    "AsynczAdmin",
    "DashboardConfig",
    "LoginThrottle",
    "SimpleUsernamePasswordBackend",
    "TrustedHeaderBackend",
    "User",
]
__version__ = "0.1.0"
