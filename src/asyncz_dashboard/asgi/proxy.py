"""Where the app lives: the route path inside the app and the external URL prefix.

The external prefix is the trusted ``X-Forwarded-Prefix`` (only from trusted proxy addresses)
plus the ASGI ``root_path`` (ASGI spec, "HTTP Connection Scope"), as the brief decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import quote, unquote

from .types import Scope

# Characters left as they are when a decoded path is re-encoded for a URL (RFC 3986, 3.3).
PATH_SAFE = "/:@!$&'()*+,;=-._~"


def route_raw_path(scope: Scope) -> str | None:
    """The raw, percent-encoded path below ``root_path``, or None when outside of it.

    Servers and hosts disagree on whether ``path`` includes ``root_path``; both are accepted.
    A ``path`` that merely starts with the characters of ``root_path`` (``/dashboardx`` under
    ``/dashboard``, as hypercorn's dispatcher passes it) is outside: None, answered with 404.
    """
    root = scope.get("root_path", "").rstrip("/")
    path: str = scope.get("path", "/") or "/"
    raw_bytes = scope.get("raw_path")
    raw = raw_bytes.decode("latin-1").split("?", 1)[0] if raw_bytes else quote(path, PATH_SAFE)
    if root and path.startswith(root):
        rest = path[len(root) :]
        if rest and not rest.startswith("/"):
            return None
        raw = _strip_raw_prefix(raw, root, rest)
    return raw or "/"


def _strip_raw_prefix(raw: str, root: str, decoded_rest: str) -> str:
    root_parts = root.strip("/").split("/")
    raw_parts = raw.split("/")[1:]
    head = raw_parts[: len(root_parts)]
    if [unquote(p) for p in head] == root_parts:
        return "/" + "/".join(raw_parts[len(root_parts) :])
    if unquote(raw) == decoded_rest:
        return raw  # the server already removed root_path from raw_path
    return quote(decoded_rest, PATH_SAFE)


def is_trusted(client: object, trusted: Iterable[str]) -> bool:
    """True when the ASGI ``client`` address is in one of the ``trusted`` addresses/ranges."""
    host = client[0] if isinstance(client, (list, tuple)) and client else None
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def external_prefix(scope: Scope, trusted_hosts: Iterable[str] = ()) -> str:
    """The percent-encoded URL prefix of the app as the browser sees it, without trailing ``/``.

    Args:
        scope: the ASGI scope.
        trusted_hosts: IP addresses or CIDR ranges whose ``X-Forwarded-Prefix`` is honoured.
    """
    prefix = quote(scope.get("root_path", "").rstrip("/"), PATH_SAFE)
    trusted_hosts = tuple(trusted_hosts)
    if trusted_hosts and is_trusted(scope.get("client"), trusted_hosts):
        for name, value in scope.get("headers", []):
            if name.lower() == b"x-forwarded-prefix":
                forwarded = value.decode("latin-1").strip().rstrip("/")
                if forwarded.startswith("/") and not forwarded.startswith("//"):
                    if "\\" not in forwarded and "?" not in forwarded and "#" not in forwarded:
                        prefix = quote(forwarded, PATH_SAFE + "%") + prefix
                break
    return prefix
