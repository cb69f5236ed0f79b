"""Triggers and times in words: cron via ``cron-descriptor``, intervals and dates by us."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from importlib import metadata
from typing import Any

from cron_descriptor import ExpressionDescriptor, Options

_CRON_OPTIONS = Options()
_CRON_OPTIONS.use_24hour_time_format = True
_CRON_OPTIONS.verbose = False

# Asyncz (like APScheduler 3) numbers day_of_week from 0 = Monday; crontab from 0 = Sunday.
# Numbers are turned into names before describing, so the words match what Asyncz will do.
_DOW_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DOW_NUMBER = re.compile(r"(?<![/\d])([0-6])(?!\d)")


def describe_cron(fields: dict[str, str]) -> str | None:
    """Describe Asyncz cron fields (``minute``, ``hour``, ``day``, ``month``, ``day_of_week``,
    ``second``, ``year``, ``week``) in words, or None when cron-descriptor cannot."""
    if fields.get("week", "*") != "*":
        return None
    dow = _DOW_NUMBER.sub(lambda m: _DOW_NAMES[int(m.group(1))], fields.get("day_of_week", "*"))
    parts = [
        fields.get("minute", "*"),
        fields.get("hour", "*"),
        fields.get("day", "*"),
        fields.get("month", "*"),
        dow,
    ]
    second = fields.get("second", "0")
    if second not in ("0", ""):
        parts.insert(0, second)
    if fields.get("year", "*") != "*":
        if len(parts) == 5:
            parts.insert(0, "0")
        parts.append(fields["year"])
    return _describe_expression(" ".join(parts))


@lru_cache(maxsize=4096)
def _describe_expression(expression: str) -> str | None:
    # Many tasks share an expression; each description is computed once (a pure function).
    try:
        text = _descriptor(expression).get_description()
    except Exception:
        return None
    return text[:1].lower() + text[1:] if text else None


def _plain_descriptor(expression: str) -> Any:
    return ExpressionDescriptor(expression, _CRON_OPTIONS)


def _make_descriptor_factory() -> Any:
    """A descriptor factory that loads cron-descriptor's translations once.

    ``ExpressionDescriptor()`` re-reads and parses its gettext catalogue for every expression
    (~0.4 ms, 10x the description itself), which made indexing 10,000 cron tasks take seconds.
    The fast factory shares one catalogue; it relies on cron-descriptor's attribute names, so
    it is used only when it describes sample expressions exactly as the plain one does.
    """
    try:
        from cron_descriptor.ExpressionParser import ExpressionParser
        from cron_descriptor.GetText import GetText

        get_text = GetText(_CRON_OPTIONS.locale_code, _CRON_OPTIONS.locale_location)

        def fast(expression: str) -> Any:
            descriptor = object.__new__(ExpressionDescriptor)
            descriptor._expression = expression
            descriptor._options = _CRON_OPTIONS
            descriptor._expression_parts = []
            descriptor.get_text = get_text
            descriptor._expression_parts = ExpressionParser(expression, _CRON_OPTIONS).parse()
            return descriptor

        for sample in ("*/5 * * * *", "0 3 * * mon-fri", "30 9 1,15 * *", "15 */2 * 1-6 sun"):
            if fast(sample).get_description() != _plain_descriptor(sample).get_description():
                return _plain_descriptor
        return fast
    except Exception:
        return _plain_descriptor


_descriptor = _make_descriptor_factory()


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def describe_interval(interval: timedelta) -> str:
    """``timedelta(minutes=5)`` -> ``"every 5 minutes"``; one hour -> ``"every hour"``."""
    seconds = int(interval.total_seconds())
    if seconds <= 0:
        return f"every {interval}"
    parts = []
    for unit, size in _UNITS:
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    if len(parts) == 1 and parts[0].startswith("1 "):
        return "every " + parts[0][2:]
    return "every " + " ".join(parts)


def describe_date(run_at: datetime, tz: tzinfo, now: datetime | None = None) -> str:
    """``"once on 30 Nov 09:00"`` in ``tz``; the year is added when it is not the current one."""
    local = run_at.astimezone(tz)
    now = (now or datetime.now(timezone.utc)).astimezone(tz)
    fmt = "%d %b %Y %H:%M" if local.year != now.year else "%d %b %H:%M"
    return "once on " + local.strftime(fmt).lstrip("0")


def format_absolute(moment: datetime | None, tz: tzinfo) -> str:
    """``"2026-11-29 09:30:00 CET"``: a moment in ``tz`` with the zone's abbreviation."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or str(tz))


def format_relative(moment: datetime, now: datetime) -> str:
    """``"in 4 min"``, ``"2 h ago"``, ``"now"``: a short distance between two aware moments."""
    delta = (moment - now).total_seconds()
    future = delta >= 0
    seconds = abs(delta)
    if seconds < 1:
        return "now"
    if seconds < 60:
        text = f"{int(seconds)} s"
    elif seconds < 3600:
        text = f"{int(seconds // 60)} min"
    elif seconds < 86400:
        text = f"{int(seconds // 3600)} h"
    elif seconds < 86400 * 365:
        text = f"{int(seconds // 86400)} d"
    else:
        text = f"{int(seconds // (86400 * 365))} y"
    return f"in {text}" if future else f"{text} ago"


def format_elapsed(seconds: float) -> str:
    """``"3 days 4 hours 12 minutes"``: a duration of ``seconds`` in its three largest non-zero
    units; ``"0 seconds"`` for zero or less."""
    whole = max(int(seconds), 0)
    parts = []
    for unit, size in _UNITS:
        amount, whole = divmod(whole, size)
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    return " ".join(parts[:3]) or "0 seconds"


def distribution_version(distribution: str) -> str:
    """The installed version of a distribution (``"asyncz"``), or ``"unknown"``."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"
