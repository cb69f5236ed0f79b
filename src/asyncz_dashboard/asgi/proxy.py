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
    """True when the ASGI ``client`` address is in one of the ``trusted`` addresses/ranges, is
    one of them by name (a server may give a host name, such as a Unix socket's), or when
    ``trusted`` holds ``"*"`` (any client: only when nothing but the proxy can reach the app)."""
    trusted = tuple(trusted)
    host = client[0] if trusted and isinstance(client, (list, tuple)) and client else None
    if not host:
        return False
    if "*" in trusted or host in trusted:
        return True
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


def header_value(scope: Scope, name: bytes) -> str | None:
    """Header ``name`` (lower case) of the ASGI scope, repeated lines joined with ``, ``
    (RFC 9110, 5.3); None when absent."""
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
    return ", ".join(values) if values else None


def forwarded_value(scope: Scope, name: bytes) -> str | None:
    """The rightmost entry of a comma-separated ``X-Forwarded-*`` header: the one the nearest
    (trusted) proxy wrote, whatever the client put to its left. None when absent or empty.

    Only call it for a request from a trusted proxy: from anyone else the header is the
    client's own invention.
    """
    value = header_value(scope, name)
    last = value.rsplit(",", 1)[-1].strip() if value else ""
    return last or None


def client_address(scope: Scope, trusted: Iterable[str]) -> str:
    """The client's IP address: the socket peer or, when that is a trusted proxy, the
    rightmost ``X-Forwarded-For`` hop that no trusted proxy added.

    Walking from the right skips the proxies' own entries; everything further left was written
    by the client and is never used. A hop that is not an IP address ends the walk at the
    trusted address to its right. ``"unknown"`` when the server gives no client.
    """
    client = scope.get("client")
    address = str(client[0]) if isinstance(client, (list, tuple)) and client else "unknown"
    trusted = tuple(trusted)
    if not trusted or not is_trusted(client, trusted):
        return address
    hops = (header_value(scope, b"x-forwarded-for") or "").split(",")
    if "*" in trusted:
        # Every address is "trusted": only the hop the peer itself added is the proxy's word.
        return _hop_address(hops[-1]) or address
    for hop in reversed(hops):
        parsed = _hop_address(hop)
        if parsed is None:
            return address
        address = parsed
        if not is_trusted((parsed,), trusted):
            return address
    return address


def _hop_address(hop: str) -> str | None:
    """The IP address of one ``X-Forwarded-For`` entry (``1.2.3.4``, ``1.2.3.4:80``,
    ``2001:db8::1``, ``[2001:db8::1]:80``), normalised; None when it is none."""
    text = hop.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
