"""Which host names the app answers for, and which origins count as its own.

A page on any name that resolves to the server's address (DNS rebinding) reaches it with that
name in ``Host`` (RFC 9110, 7.2), so a request whose host is not allowed is refused with 400
before any view runs. From a trusted proxy, ``X-Forwarded-Host`` / ``X-Forwarded-Proto`` /
``X-Forwarded-Port`` stand for the public ``Host`` and scheme, for this check and for CSRF's
Origin check (RFC 6454: an origin is scheme, host and port).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from .proxy import forwarded_value, header_value, is_trusted
from .responses import Response
from .security import add_security_headers
from .types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("asyncz_dashboard")

ANY_HOST = "*"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
# Scope key holding the normalised allowed origins (a frozenset) for the CSRF check.
ALLOWED_ORIGINS_KEY = "asyncz_dashboard.allowed_origins"
DEFAULT_PORTS = {"http": 80, "https": 443}
INVALID_HOST = "Invalid Host header"

_HOST = re.compile(r"(?P<host>[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")

Origin = tuple[str, str, int]  # (scheme, host, port), all normalised


def split_host(value: str) -> tuple[str, int | None] | None:
    """``(host, port)`` of a ``Host`` header value: lower case, trailing dot dropped, IPv6 in
    brackets and compressed; None when it is malformed."""
    match = _HOST.fullmatch(value.strip().lower())
    if match is None:
        return None
    host = match["host"]
    if host.startswith("["):
        try:
            host = f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            return None
    host = host.rstrip(".")
    port = int(match["port"]) if match["port"] else None
    if not host or (port is not None and not 0 < port < 65536):
        return None
    return host, port


def normalize_host_pattern(pattern: str) -> str:
    """An ``allowed_hosts`` entry as it is matched: lower case, no port, IPv6 in brackets.

    ``*`` allows any host; ``*.example.com`` allows every subdomain of example.com (not
    example.com itself), as Starlette's ``TrustedHostMiddleware`` does.

    Raises:
        ValueError: the entry is neither a host name, an address nor such a wildcard.
    """
    text = pattern.strip().lower()
    if text == ANY_HOST:
        return text
    wildcard = text.startswith("*.")
    name = text[2:] if wildcard else text
    try:
        name = f"[{ipaddress.IPv6Address(name).compressed}]"  # written without brackets
    except ValueError:
        pass
    parsed = split_host(name)
    if parsed is None or "*" in name or (wildcard and name.startswith("[")):
        raise ValueError(f"allowed_hosts: {pattern!r} is not a host name, address or *.domain")
    return ("*." if wildcard else "") + parsed[0]


def host_allowed(host: str, patterns: Iterable[str]) -> bool:
    """True when the normalised ``host`` matches one of the normalised ``patterns``."""
    for pattern in patterns:
        if pattern in (ANY_HOST, host):
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


def parse_origin(value: str) -> Origin | None:
    """An ``Origin`` header value (or an ``allowed_origins`` entry) as ``(scheme, host, port)``
    with the scheme's default port filled in; None when malformed or not http(s)."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or parts.path not in ("", "/") or parts.query:
        return None
    if "@" in parts.netloc or parts.fragment:
        return None
    host = split_host(parts.netloc)
    if host is None:
        return None
    return scheme, host[0], host[1] or DEFAULT_PORTS[scheme]


def normalize_origin(origin: str) -> str:
    """An ``allowed_origins`` entry as ``scheme://host:port`` (the port always written).

    Raises:
        ValueError: it is not an origin such as ``https://ops.example.com``.
    """
    parsed = parse_origin(origin)
    if parsed is None:
        raise ValueError(f"allowed_origins: {origin!r} is not an origin like https://host[:port]")
    return "{}://{}:{}".format(*parsed)


def origin_listed(origin: str, listed: frozenset[str]) -> bool:
    """True when the ``Origin`` header value is one of the ``normalize_origin`` forms."""
    parsed = parse_origin(origin) if listed else None
    return parsed is not None and "{}://{}:{}".format(*parsed) in listed


def request_host_header(scope: Scope, trusted: bool) -> str:
    """The raw public host of a request: the trusted proxy's ``X-Forwarded-Host`` when
    ``trusted`` and present, else ``Host`` (``""`` when neither is sent)."""
    value = forwarded_value(scope, b"x-forwarded-host") if trusted else None
    return value or header_value(scope, b"host") or ""


def request_host(scope: Scope, trusted: bool) -> tuple[str, int | None] | None:
    """``split_host`` of ``request_host_header``: None when missing or malformed."""
    value = request_host_header(scope, trusted)
    return split_host(value) if value else None


def is_own_origin(origin: str, scope: Scope, trusted: bool) -> bool:
    """True when ``origin`` is the origin the request was sent to.

    Host and port are compared with ``Host`` (or, from a trusted proxy, ``X-Forwarded-Host``
    and ``X-Forwarded-Port``); the scheme only when a trusted proxy states it in
    ``X-Forwarded-Proto`` (a TLS-terminating proxy makes the server's own scheme ``http``).
    """
    parsed = parse_origin(origin)
    target = request_host(scope, trusted)
    if parsed is None or target is None:
        return False
    scheme, host, port = parsed
    proto = (forwarded_value(scope, b"x-forwarded-proto") or "").lower() if trusted else ""
    if proto and proto != scheme:
        return False
    expected_port = target[1]
    if expected_port is None and trusted:
        forwarded_port = forwarded_value(scope, b"x-forwarded-port") or ""
        expected_port = int(forwarded_port) if forwarded_port.isdigit() else None
    if expected_port is None:
        expected_port = DEFAULT_PORTS[proto or scheme]
    return (host, port) == (target[0], expected_port)


class AllowedHosts:
    """ASGI middleware: 400 "Invalid Host header" for hosts not in ``allowed_hosts``.

    It also puts the normalised ``allowed_origins`` in the scope for the CSRF check. Other
    scope types (lifespan, websocket) pass straight through.

    Args:
        app: the wrapped ASGI app.
        allowed_hosts: host names, ``*.domain`` wildcards, or ``*`` for any (ports ignored).
        allowed_origins: origins (``https://ops.example.com``) whose POSTs are not cross-site.
        trusted_proxies: IP addresses or CIDR ranges whose ``X-Forwarded-Host`` is used.

    Raises:
        ValueError: an entry of ``allowed_hosts`` or ``allowed_origins`` is malformed.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str] = (ANY_HOST,),
        allowed_origins: Iterable[str] = (),
        trusted_proxies: Iterable[str] = (),
    ):
        self.app = app
        self.allowed_hosts = tuple(normalize_host_pattern(p) for p in allowed_hosts)
        self.allowed_origins = frozenset(normalize_origin(o) for o in allowed_origins)
        self.trusted_proxies = tuple(trusted_proxies)
        self._any = ANY_HOST in self.allowed_hosts
        self._warned: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[ALLOWED_ORIGINS_KEY] = self.allowed_origins
            if not self._any and not self.allows(scope):
                await self._refuse(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def allows(self, scope: Scope) -> bool:
        """True when the request's (public) host is allowed."""
        target = request_host(scope, self._trusted(scope))
        return target is not None and host_allowed(target[0], self.allowed_hosts)

    def _trusted(self, scope: Scope) -> bool:
        return is_trusted(scope.get("client"), self.trusted_proxies)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = request_host_header(scope, self._trusted(scope))[:100]
        if len(self._warned) < 50 and host not in self._warned:
            # Tell the operator once per name why browsers see 400 (bounded: no log flood).
            self._warned.add(host)
            logger.warning("Refused a request for host %r: add it to allowed_hosts", host)
        response = Response(INVALID_HOST, status=400, headers={"cache-control": "no-store"})
        add_security_headers(response.headers)
        await response(scope, receive, send)
