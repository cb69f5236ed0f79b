"""Login, users, backends and permissions."""

from .backends import AuthBackend, SimpleUsernamePasswordBackend, TrustedHeaderBackend, User
from .permissions import ALL_PERMISSIONS, READ_ONLY
from .throttle import LoginThrottle

__all__ = [
    "ALL_PERMISSIONS",
    "READ_ONLY",
    "AuthBackend",
    "LoginThrottle",
    "SimpleUsernamePasswordBackend",
    "TrustedHeaderBackend",
    "User",
]
