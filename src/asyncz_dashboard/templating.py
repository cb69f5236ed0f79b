"""The Jinja2 environment: package templates, autoescape everywhere, URL and time helpers."""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .asgi.csrf import csrf_token
from .asgi.request import Request
from .asgi.responses import HTMLResponse
from .asgi.static import StaticFiles
from .auth.gate import current_user, has_permission


@functools.lru_cache(maxsize=64)
def zone_for(name: str) -> tzinfo:
    """The zone named ``name`` (an IANA name such as ``Europe/Paris``); UTC for ``UTC`` and for
    any name the zone database does not know (the text then says UTC: still true)."""
    try:
        return ZoneInfo(name) if name and name.upper() != "UTC" else timezone.utc
    except (ValueError, LookupError):  # ZoneInfoNotFoundError is a KeyError
        return timezone.utc


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def iso_utc(moment: datetime) -> str:
    """A Jinja filter: ``2026-12-02T13:05:03Z``, the ``datetime`` attribute of a time (UTC, to
    the second, what the pages show and every browser's ``Date`` parses; RFC 3339)."""
    return _aware(moment).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def absolute(moment: datetime, zone: str) -> str:
    """A Jinja filter: ``2026-12-02 14:05:03 CET``, the moment in the zone named ``zone``."""
    return _aware(moment).astimezone(zone_for(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def zone_names(zone: str) -> str:
    """A Jinja filter: the abbreviations the zone named ``zone`` uses from a year ago to a year
    ahead, by UTC offset in minutes, as dashboard.js reads them (``60:CET,120:CEST``), so the
    browser names the scheduler's zone as absolute() does ("JST", where Intl says "GMT+9")."""
    return _zone_names(zone, datetime.now(timezone.utc).year)


@functools.lru_cache(maxsize=64)
def _zone_names(zone: str, year: int) -> str:
    tz = zone_for(zone)
    names: dict[int, str] = {}
    start = datetime(year - 1, 1, 1, tzinfo=timezone.utc)
    for day in range(0, 3 * 366, 7):  # weekly: every offset a zone keeps for a week or more
        local = (start + timedelta(days=day)).astimezone(tz)
        offset = local.utcoffset()
        if offset is not None and local.tzname():
            names[int(offset.total_seconds() // 60)] = local.tzname() or ""
    return ",".join(f"{minutes}:{name}" for minutes, name in sorted(names.items()))


# A time as absolute() and the event details write it: "2026-12-02 14:05:03 CET".
_WRITTEN_TIME = re.compile(
    r"\b(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) ([A-Za-z][A-Za-z0-9+-]{0,9})\b"
)


def _written_moment(clock: str, abbreviation: str, zone: str) -> datetime | None:
    """The moment a written time names: in UTC when it says UTC, else in the zone named
    ``zone`` when that zone used ``abbreviation`` then (either side of a DST fold); None when
    it cannot be told (another zone's abbreviation, a date that does not exist)."""
    try:
        naive = datetime.strptime(clock, "%Y-%m-%d %H:%M:%S")  # zone: below
    except ValueError:
        return None
    if abbreviation == "UTC":
        return naive.replace(tzinfo=timezone.utc)
    for fold in (0, 1):
        local = naive.replace(tzinfo=zone_for(zone), fold=fold)
        if local.tzname() == abbreviation:
            return local
    return None


def times_in(text: str, zone: str) -> Markup:
    """A Jinja filter: ``text`` escaped, each written time in it (``2026-12-02 14:05:03 CET``,
    in UTC or in the zone named ``zone``) made a ``<time datetime data-when="absolute">``, so
    the browser shows it in the page's zone like every other time (the audit's changes, the
    events' details: text stored when it happened)."""
    out, last = [], 0
    for match in _WRITTEN_TIME.finditer(text):
        moment = _written_moment(match.group(1), match.group(2), zone)
        if moment is None:
            continue
        out.append(escape(text[last : match.start()]))
        out.append(
            Markup('<time datetime="{}" data-when="absolute">{}</time>').format(
                iso_utc(moment), match.group(0)
            )
        )
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def dom_id(value: str) -> str:
    """A Jinja filter: a short, stable, CSS-safe id part for any string (a task id may hold
    any character): 16 hex digits of its BLAKE2b hash."""
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")


def plain_id(value: str) -> bool:
    """A Jinja test-like filter: True when ``value`` (a task id) is made of ASCII letters,
    digits, ``_`` and ``-`` only, so it can stand in a DOM id and a CSS selector as it is."""
    return PLAIN_ID.fullmatch(value) is not None


def attribute(value: object) -> Markup:
    """A Jinja filter: ``value`` escaped for a double-quoted attribute, leaving ``'`` as it is.

    Inside a double-quoted attribute value only ``&`` and ``"`` end or change the value (HTML
    Living Standard, 13.2.5.36 "Attribute value (double-quoted) state"); ``<`` and ``>`` are
    escaped too, as everywhere. Autoescape's ``&#39;`` for every ``'`` costs 4 bytes a quote in
    the row's raw trigger ("cron[hour='3', minute='0']"), repeated on every row.
    """
    if isinstance(value, Markup):
        return value
    text = str(value).replace("&", "&amp;").replace('"', "&#34;")
    return Markup(text.replace("<", "&lt;").replace(">", "&gt;"))  # noqa: S704 (escaped above)


class Templates:
    """Renders package templates; a host may put overrides first with ``directory``.

    Args:
        static: the static files, for cache-busting asset URLs.
        globals: values every template can read (config, title, ...).
        directory: an optional folder of templates that override ours by name.
    """

    def __init__(self, static: StaticFiles, globals: dict[str, Any], directory: str | None = None):
        loaders: list[Any] = [PackageLoader("asyncz_dashboard", "templates")]
        if directory:
            loaders.insert(0, FileSystemLoader(directory))
        # Autoescape is on for every template, .html or not, partials included.
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates are read once per process: no stat() per template per request (Jinja's
            # default checks each file's modification time on every get_template).
            auto_reload=False,
        )
        self.env.filters.update(
            iso_utc=iso_utc,
            absolute=absolute,
            times_in=times_in,
            dom_id=dom_id,
            plain_id=plain_id,
            attribute=attribute,
            zone_names=zone_names,
        )
        self.env.globals.update(globals)
        self.static = static

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """Render template ``name`` for ``request`` into an HTML response."""
        flashes = request.session.pop("flash", []) if "flash" in request.session else []
        # ``context`` may override the request's values (the page cache's markers).
        html = self.env.get_template(name).render(
            {**self.request_context(request), "flashes": flashes, **context}
        )
        return HTMLResponse(html, status=status)

    def request_context(self, request: Request) -> dict[str, Any]:
        """What every template may read about ``request`` (URLs, token, user, permissions);
        flash messages are left out, since reading them consumes them."""

        def static_url(path: str) -> str:
            return request.url_for("static", path=path) + f"?v={self.static.version(path)}"

        return {
            "request": request,
            "url_for": request.url_for,
            "static_url": static_url,
            "csrf_token": csrf_token(request),
            "user": current_user(request),
            "can": lambda permission: has_permission(request, permission),
        }

    def macros(self, request: Request, name: str, **extra: Any) -> Any:
        """The module of template ``name`` (its macros as attributes) bound to ``request``'s
        context and ``extra``, for rendering parts of a page from Python (the row cache)."""
        return self.env.get_template(name).make_module({**self.request_context(request), **extra})
