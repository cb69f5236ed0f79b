"""Users and authentication backends: the interface a host implements, and two real ones."""

from __future__ import annotations

import inspect
import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, runtime_checkable

from ..asgi.request import Request


class User:
    """A signed-in user: ``id``, a display ``name`` and any extra attributes.

    ``User(id="42", name="Ada", role="ops").role == "ops"``: extras stay readable as
    attributes and are kept in the session when JSON-serialisable. ``is_admin`` (default True,
    as in the reference dashboard) is one of them: the dashboard grants nothing by it; read it
    in your ``permissions=`` hook.
    """

    def __init__(self, id: str | int, name: str | None = None, is_admin: bool = True, **extra: Any):
        self.id = str(id)
        self.name = name if name is not None else str(id)
        # Kept (and stored in the session) only when False: True is what it reads otherwise.
        self.extra = extra if is_admin else {"is_admin": False, **extra}

    @property
    def is_admin(self) -> bool:
        """The reference dashboard's flag (default True); the dashboard grants nothing by it."""
        return bool(self.extra.get("is_admin", True))

    def __getattr__(self, item: str) -> Any:
        extra = self.__dict__.get("extra", {})
        if item in extra:
            return extra[item]
        raise AttributeError(item)

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, User) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


@runtime_checkable
class AuthBackend(Protocol):
    """How the dashboard learns who is asking.

    ``uses_login_form`` True means the dashboard shows its login page and calls
    ``login(request, username, password)``; the user is then kept in the signed session.
    ``authenticate(request)`` is asked on every request first: a backend that trusts
    something outside the session (a proxy header) answers there; others return None.
    """

    uses_login_form: bool

    async def authenticate(self, request: Request) -> User | None:
        """The user this request proves by itself (not via the session), or None."""
        ...

    async def login(self, request: Request, username: str, password: str) -> User | None:
        """Check a username and password from the login form; None when wrong."""
        ...


Verify = Callable[[str, str], "User | Awaitable[User | None] | None"]


class SimpleUsernamePasswordBackend:
    """Login with a username and password checked by your ``verify`` function.

    Args:
        verify: ``verify(username, password) -> User | None``, a plain function or a
            coroutine function. Compare secrets with ``hmac.compare_digest``.
        session_key: accepted for the reference dashboard's signature; the user is kept in the
            dashboard's own signed session whatever it says.
        login_template: the login page's template name (default ours, ``login.html``); put
            your own in ``template_directory``: it gets our context (``next``, ``error``,
            ``csrf_token``, ``username``).
    """

    uses_login_form = True

    def __init__(
        self,
        verify: Verify,
        session_key: str = "asyncz_admin",
        login_template: str = "login.html",
    ):
        if not callable(verify):
            raise TypeError("verify must be a callable taking (username, password).")
        self.verify = verify
        self.session_key = session_key
        self.login_template = login_template

    async def authenticate(self, request: Request) -> User | None:
        """Users of this backend are known from the session only."""
        return None

    async def login(self, request: Request, username: str, password: str) -> User | None:
        """Call ``verify``; anything but a ``User`` means "refused"."""
        result: Any = self.verify(username, password)
        if inspect.isawaitable(result):
            result = await result
        return result if isinstance(result, User) else None


class TrustedHeaderBackend:
    """Trust a user header set by an authenticating proxy, only from the proxy's addresses.

    Args:
        header: the header holding the user id (for example ``X-Forwarded-User``).
        trusted_proxies: IP addresses or CIDR ranges of the proxy; from any other client
            the header is ignored.
        name_header: an optional header holding a display name.
    """

    uses_login_form = False

    def __init__(
        self,
        header: str = "X-Forwarded-User",
        trusted_proxies: Iterable[str] = ("127.0.0.1", "::1"),
        name_header: str | None = None,
    ):
        self.header = header.lower()
        self.name_header = name_header.lower() if name_header else None
        self.networks = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)
        if not self.networks:
            raise ValueError("TrustedHeaderBackend needs at least one trusted proxy address.")

    def _trusted(self, request: Request) -> bool:
        client = request.scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def authenticate(self, request: Request) -> User | None:
        """The user named by the header, when the request comes from a trusted proxy."""
        if not self._trusted(request):
            return None
        user_id = request.headers.get(self.header, "").strip()
        if not user_id or len(user_id) > 256:
            return None
        name = request.headers.get(self.name_header, "").strip() if self.name_header else ""
        return User(id=user_id, name=name or user_id)

    async def login(self, request: Request, username: str, password: str) -> User | None:
        """No login form: the proxy signs users in."""
        return None
