"""Hypothesis strategies for whole HTTP requests to the dashboard, built from the route table.

A request is drawn symbolically: ``TOKEN``, ``COOKIE`` and ``LENGTH`` are placeholders that the
harness replaces with the session's real CSRF token, its real session cookie and the body's
real length, so valid requests (which reach the views) are drawn as often as broken ones.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from asyncz_dashboard.asgi.routing import Route, encode_segment
from asyncz_dashboard.views.routes import ROUTES

TOKEN = "TOKENxPLACEHOLDER"
COOKIE = "COOKIExPLACEHOLDER"
LENGTH = "LENGTHxPLACEHOLDER"
ROOT = "/dashboard"

TASK_IDS = ("t1", "paused", "once", ".", "..", "a/b", "100%", "nope")
FIELDS = (
    "csrf_token",
    "action",
    "task_id",
    "return_to",
    "next",
    "username",
    "password",
    "submission_id",
    "q",
    "state",
    "sort",
    "direction",
    "page",
    "per_page",
)
QUERY_KEYS = (
    *("q", "state", "executor", "trigger", "sort", "direction", "page", "per_page", "next"),
    *("since", "until", "task", "run", "status", "source", "level", "name", "user", "action"),
    *("target", "v", "signed_out"),
)
VALUES = (
    *TASK_IDS,
    *("run", "pause", "resume", "remove", "tasks", "detail", "overview", "bob", TOKEN, ""),
    *("\u00b2", "9" * 5000, "-1", "0", "1e9", "name", "next_run_time", "desc", "200", "paused"),
    *("\x00", "\ud800", "é" * 300),
)
METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "FOO", "post")
CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary="q"; charset=utf-8',
    "multipart/form-data; boundary=" + "b" * 300,
    "multipart/form-data;;; boundary==;",
    "application/json",
    "text/plain",
    "",
)
ODD_LENGTHS = ("\u00b2", "-1", "", "9" * 5000, "1, 1", " 3", "0x10", "00")
# URLs a browser or an attacker may put in a link, a header or ``next``, odd ones included.
URLS = (
    *("http://testserver/dashboard/tasks?page=2", "/dashboard/tasks", "/dashboard/..", "/"),
    *("//evil.test/", "http://evil.test", "http://[::1", "http://[::1]:80/x", "[::1", "\\\\x"),
    *("/dashboard/tasks/..!", "javascript:alert(1)", "http://testserver:99999/", "%2F%2Fevil"),
)
# More headers the dashboard reads, each with values of its own kind.
EXTRA_HEADERS = {
    "host": ("testserver", "[::1", "evil.test", "testserver:80", "", "a" * 300),
    "referer": URLS,
    "hx-current-url": URLS,
    "hx-trigger": ("tasks-table", ""),
    "accept": ("application/json", "text/html", "*/*"),
    "if-none-match": ("*", '"x"', 'W/"x", *'),
    "x-forwarded-for": ("10.0.0.1, 10.0.0.2", "", "::1", "a" * 300),
    "x-forwarded-prefix": ("/ops", "//evil", "/a%2Fb", "/x?y", "\\"),
    "x-forwarded-host": ("evil.test", "testserver", ""),
    "x-forwarded-proto": ("https", "http", "gopher"),
    "transfer-encoding": ("chunked", "gzip, chunked"),
    "authorization": ("Basic Zm9vOmJhcg==", "Bearer x"),
}
# RFC 2046, 5.1.1: 1 to 70 of these (and spaces, not last).
BOUNDARY_CHARACTERS = string.ascii_letters + string.digits + "'()+_,-./:=?"

latin1 = st.text(st.characters(max_codepoint=255), max_size=60)
text = st.text(max_size=40)
values = st.one_of(st.sampled_from(VALUES), st.sampled_from(URLS), text)


@dataclass(frozen=True)
class Drawn:
    """One request: raw path (percent-encoded), query, headers and body chunks."""

    method: str
    raw_path: str
    query: str
    headers: list[tuple[str, str]]
    chunks: list[bytes]
    disconnect: bool
    route: str


def _segment(template: str) -> st.SearchStrategy[str]:
    if template.endswith(":path}"):
        files = ("css/dashboard.css", "favicon.svg", "../../etc/passwd", "%2e%2e/x")
        return st.one_of(st.sampled_from(files), latin1.map(lambda t: quote(t, safe="/")))
    known = st.sampled_from(TASK_IDS).map(encode_segment)
    return st.one_of(
        known,
        known,
        known,
        text.map(encode_segment),
        st.sampled_from((".", "..", "%2e%2e", "%2E", "%", "%ZZ", "%C3", "%FF%FE", "..%2f..")),
        latin1.map(lambda t: t.replace("?", "%3F").replace("#", "%23")),
    )


@st.composite
def paths(draw: st.DrawFn, route: Route, wellformed: bool) -> str:
    """A raw path for ``route`` (parameters drawn), unless well-formed sometimes bent."""
    parts = [draw(_segment(t)) if t.startswith("{") else t for t in route.segments]
    path = ROOT + "/" + "/".join(parts)
    if wellformed:
        return path
    bend = draw(st.sampled_from(("",) * 6 + ("/", "/..", "/%2e%2e", "//", "long", "raw")))
    if bend == "long":
        return path + "/x" * draw(st.integers(1, 5000))
    if bend == "raw":
        return ROOT + draw(latin1)
    return path + bend


def _multipart(pairs: list[tuple[str, str]], boundary: str) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in pairs
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8", "surrogatepass")


@st.composite
def bodies(draw: st.DrawFn, wellformed: bool) -> tuple[str | None, bytes]:
    """A content type and a body: a urlencoded or multipart form, unless well-formed also
    cut short, spliced with junk, random bytes, or under another content type."""
    pairs = draw(st.lists(st.tuples(st.one_of(st.sampled_from(FIELDS), text), values), max_size=6))
    if draw(st.booleans()):
        pairs.insert(draw(st.integers(0, len(pairs))), ("csrf_token", TOKEN))
    kinds = ("urlencoded", "multipart", "empty") + (() if wellformed else ("bytes", "bytes"))
    kind = draw(st.sampled_from(kinds))
    content_type: str | None = "application/x-www-form-urlencoded"
    if kind == "urlencoded":
        body = urlencode(pairs, errors="surrogatepass").encode("ascii")
    elif kind == "multipart":
        boundary = draw(st.text(BOUNDARY_CHARACTERS, min_size=1, max_size=70))
        content_type = f"multipart/form-data; boundary={boundary}"
        body = _multipart(pairs, boundary)
    elif kind == "bytes":
        body = draw(st.binary(max_size=2000))
    else:
        body = b""
    if wellformed:
        return content_type, body
    if draw(st.booleans()):
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.binary(max_size=20)) if draw(st.booleans()) else body[:at]
    if draw(st.booleans()):
        content_type = draw(st.one_of(st.none(), st.sampled_from(CONTENT_TYPES), latin1))
    return content_type, body


def _choice(*options: str | None) -> st.SearchStrategy[str | None]:
    """One of ``options`` (repeat one to weight it), or now and then any latin-1 text."""
    return st.one_of(*(st.just(option) for option in options), latin1)


@st.composite
def headers(draw: st.DrawFn, content_type: str | None, wellformed: bool) -> list[tuple[str, str]]:
    """Headers around a body. Well-formed: the session cookie, the token in the header (or
    only in the body), same-site. Otherwise each security-relevant header is valid, absent or
    odd, and one may be repeated."""
    if wellformed:
        drawn: list[tuple[str, str | None]] = [
            ("content-type", content_type),
            ("content-length", draw(st.sampled_from((LENGTH, None)))),
            ("x-csrf-token", draw(st.sampled_from((TOKEN, None)))),
            ("hx-request", draw(st.sampled_from(("true", None)))),
            ("origin", draw(st.sampled_from((None, "http://testserver")))),
            ("sec-fetch-site", draw(st.sampled_from((None, "same-origin")))),
            ("cookie", COOKIE),
        ]
        return [(name, value) for name, value in drawn if value is not None]
    drawn = [
        ("content-type", content_type),
        ("content-length", draw(_choice(LENGTH, LENGTH, None, *ODD_LENGTHS))),
        ("x-csrf-token", draw(_choice(TOKEN, TOKEN, None, "forged"))),
        ("hx-request", draw(_choice("true", None, "false"))),
        ("origin", draw(_choice(None, None, "http://testserver", "http://evil.test", "null"))),
        ("sec-fetch-site", draw(_choice(None, None, "same-origin", "cross-site", "none"))),
        ("cookie", draw(_choice(COOKIE, COOKIE, None, f"{COOKIE}; {COOKIE}x", "a=" + "b" * 9000))),
    ]
    absent = st.none()
    for name, options in EXTRA_HEADERS.items():
        value = st.one_of(absent, absent, absent, st.sampled_from(options), latin1)
        drawn.append((name, draw(value)))
    if draw(st.booleans()):
        drawn.append((draw(latin1), draw(latin1)))  # any header at all
    if draw(st.booleans()):  # a repeated header
        drawn.append(draw(st.sampled_from([pair for pair in drawn if pair[1] is not None])))
    return [(name, value) for name, value in drawn if value is not None]


pairs = st.lists(st.tuples(st.sampled_from(QUERY_KEYS), values), max_size=5)
queries = st.one_of(
    st.just(""),
    pairs.map(lambda drawn: urlencode(drawn, errors="surrogatepass")),
    pairs.map(lambda drawn: urlencode(drawn, errors="surrogatepass")),
    latin1,
    st.just("a=1&" * 600),
)


@st.composite
def requests(draw: st.DrawFn) -> Drawn:
    """A whole request to one of the routes in the route table (new routes are drawn too).

    Half are well-formed (a route's own method, the valid session and token, a form body that
    parses, whatever its fields), so they reach the views; the other half bend anything."""
    route = draw(st.sampled_from(ROUTES))
    wellformed = draw(st.booleans())
    own = st.sampled_from(route.methods)
    method = draw(own if wellformed else st.one_of(own, st.sampled_from(METHODS)))
    content_type, body = draw(bodies(wellformed))
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=3)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return Drawn(
        method=method,
        raw_path=draw(paths(route, wellformed)),
        query=draw(queries),
        headers=draw(headers(content_type, wellformed)),
        chunks=chunks,
        disconnect=not wellformed and draw(st.integers(0, 9)) == 0,
        route=route.name,
    )


def _known(
    method: str,
    path: str,
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    signed_in: bool = True,
) -> Drawn:
    """A hand-written request, with the valid session cookie unless not ``signed_in``."""
    cookie = [("cookie", COOKIE)] if signed_in else []
    return Drawn(method, ROOT + path, query, [*cookie, *headers], [body], False, "")


LONG = "b" * 300
# The 500s and the act-then-refuse found by hand (issue 7 and since), always tried first.
KNOWN = {
    "long boundary on the login page": _known(
        "POST",
        "/login",
        headers=(("content-type", f"multipart/form-data; boundary={LONG}"),),
        body=f"--{LONG}\r\n".encode(),
    ),
    "page=\u00b2 on the run history": _known("GET", "/runs", "page=%C2%B2"),
    "a 5,000-digit page number": _known("GET", "/runs", "page=" + "9" * 5000),
    "Content-Length: \u00b2": _known(
        "POST", "/tasks/bulk", headers=(("content-length", "\u00b2"), ("x-csrf-token", TOKEN))
    ),
    "an unsplittable Referer, signed out": _known(
        "POST", "/tasks/t1/pause", headers=(("referer", "http://[::1"),), signed_in=False
    ),
    "an unsplittable next on the login page": _known("GET", "/login", "next=http://[::1"),
    "header token, malformed body": _known(
        "POST",
        "/tasks/t1/pause",
        headers=(("x-csrf-token", TOKEN), ("content-type", "application/x-www-form-urlencoded")),
        body=b"q=\xff",
    ),
    # The task form (edit, create): values that would hang a scheduler or import anything.
    **{
        name: _known(
            "POST",
            path,
            headers=(
                ("x-csrf-token", TOKEN),
                ("content-type", "application/x-www-form-urlencoded"),
            ),
            body=body,
        )
        for name, path, body in (
            ("a zero interval", "/tasks/t1/edit", b"trigger_value=0s&intent=apply"),
            ("a tiny interval", "/tasks/t1/edit", b"trigger_value=1e-9&intent=apply"),
            (
                "a cron that never fires",
                "/tasks/t1/edit",
                b"trigger_type=cron&trigger_value=0+0+30+2+*&intent=apply",
            ),
            (
                "a past date",
                "/tasks/once/edit",
                b"trigger_type=date&trigger_value=2000-01-01&intent=apply",
            ),
            ("args of the wrong JSON type", "/tasks/t1/edit", b"args=%7B%7D&intent=apply"),
            (
                "a date at the end of time",
                "/tasks/once/edit",
                b"trigger_type=date&trigger_value=9999-12-31T23%3A59%3A59-05%3A00&intent=apply",
            ),
            (
                "a path outside the allowlist",
                "/tasks/create",
                b"callable_path=os%3Asystem&intent=apply",
            ),
            ("a duplicate id", "/tasks/create", b"callable_path=noop&id=t1&intent=apply"),
        )
    },
}
