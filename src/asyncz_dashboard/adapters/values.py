"""One value of the task form at a time: trigger short forms, JSON arguments and their masks,
and the host's callable allowlist. No scheduler imports."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from .redact import MASK, Redactor

JSON_DEPTH = 20
MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=3660)
_INTERVAL = re.compile(
    r"(?:(\d{1,7})w)?(?:(\d{1,7})d)?(?:(\d{1,7})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?"
)
_UNIT_SECONDS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """A parsed trigger: ``kind`` plus its normalised short form ``value`` and its parts."""

    kind: str
    value: str
    interval: timedelta | None = None
    cron: tuple[str, ...] = ()
    run_at: datetime | None = None


class CallableAllowlist:
    """The callables a host lets the dashboard create tasks with (``allowed_callables=``).

    Args:
        allowed: a mapping of names to callables, or an iterable of import paths
            (``package.module:function``). Paths are imported only when picked.

    Raises:
        TypeError: an entry is neither a callable (mapping) nor a string (iterable).
    """

    def __init__(self, allowed: Mapping[str, Callable[..., Any]] | Iterable[str]):
        self._targets: dict[str, Callable[..., Any] | str] = {}
        self._aliases: dict[str, str] = {}
        if isinstance(allowed, Mapping):
            for name, target in allowed.items():
                if not isinstance(name, str) or not callable(target):
                    raise TypeError("allowed_callables maps names (str) to callables.")
                self._targets[name] = target
                reference = callable_reference(target)
                if reference:
                    self._aliases.setdefault(reference, name)
        else:
            for path in allowed:
                if not isinstance(path, str) or not path.strip():
                    raise TypeError("allowed_callables lists import paths (str).")
                self._targets[path.strip()] = path.strip()
        for name in self._targets:
            self._aliases[name] = name

    def __bool__(self) -> bool:
        return bool(self._targets)

    def names(self) -> tuple[str, ...]:
        """The names offered in the form's select, in the host's order."""
        return tuple(self._targets)

    def lookup(self, value: str) -> str | None:
        """The allowed name ``value`` stands for (a name or an allowed callable's import
        path), else None. A string comparison only: nothing is imported."""
        return self._aliases.get(value.strip())

    def target(self, name: str) -> Callable[..., Any] | str:
        """The callable, or the import path Asyncz resolves, for an allowed ``name``."""
        return self._targets[name]


def callable_reference(target: Any) -> str:
    """``module:qualname`` of a callable, "" when it has none that could be imported."""
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        return ""
    return f"{module}:{qualname}"


# -- the trigger ---------------------------------------------------------------------------
def parse_interval(text: str) -> timedelta:
    """``"5s"``, ``"10m"``, ``"1h30m"``, ``"2d"``, ``"1w"`` or plain seconds (``"300"``).

    Raises:
        ValueError: not such a form, or outside 1 second .. 3660 days.
    """
    compact = re.sub(r"\s+", "", text.lower())
    match = _INTERVAL.fullmatch(compact) if compact else None
    if compact.isdigit() and len(compact) <= 12:
        seconds = int(compact)
    elif match and any(match.groups()):
        seconds = sum(
            int(g or 0) * size for g, (_, size) in zip(match.groups(), _UNIT_SECONDS, strict=True)
        )
    else:
        raise ValueError("Write an interval like 5s, 10m, 1h30m, 2d or a number of seconds.")
    if seconds < MIN_INTERVAL.total_seconds():
        raise ValueError("An interval must be at least 1 second.")
    if seconds > MAX_INTERVAL.total_seconds():
        raise ValueError("An interval can be at most 3660 days.")
    return timedelta(seconds=seconds)


def format_interval(interval: timedelta) -> str:
    """The short form of an interval (``"1h30m"``), or ``str(interval)`` with sub-seconds."""
    if interval.microseconds or interval.total_seconds() <= 0:
        return str(interval)
    seconds = int(interval.total_seconds())
    parts = []
    for unit, size in _UNIT_SECONDS[1:]:  # days, not weeks: "14d" reads better than "2w"
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def parse_cron(text: str) -> tuple[str, ...]:
    """A five-field crontab expression (minute hour day month day-of-week), split.

    Raises:
        ValueError: not five fields, or characters no cron field uses. The adapter checks
            each field's range with the scheduler's own parser.
    """
    parts = tuple(text.split())
    if len(parts) != 5:
        raise ValueError("A cron expression has 5 fields: minute hour day month day-of-week.")
    if not all(re.fullmatch(r"[\w*/,\-?#]+", part) for part in parts):
        raise ValueError("A cron field uses digits, names, * / , - only.")
    return parts


def parse_date(text: str, tz: tzinfo) -> datetime:
    """An ISO 8601 date and time; without an offset it is in ``tz`` (the scheduler's zone).

    Raises:
        ValueError: not an ISO date and time, or outside the years 1900 to 9000 (dates near
            ``datetime.max`` overflow in other zones).
    """
    value = text.strip()
    if "T" in value and " " in value:
        # A "+05:00" offset in a URL-encoded form arrives as " 05:00" (the reference does this).
        head, tail = value.rsplit(" ", 1)
        if re.fullmatch(r"\d\d:\d\d", tail):
            value = f"{head}+{tail}"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("Write a date and time like 2030-01-31T09:00 (ISO 8601).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        in_range = 1900 <= moment.astimezone(timezone.utc).year < 9000
    except (OverflowError, ValueError):
        in_range = False  # 9999-12-31T23:59-05:00 is past the last datetime in UTC
    if not in_range:
        raise ValueError("Choose a date between the years 1900 and 9000.")
    return moment


def parse_trigger(kind: str, value: str, tz: tzinfo) -> TriggerSpec:
    """A ``TriggerSpec`` from the form's ``trigger_type`` and ``trigger_value``.

    Raises:
        ValueError: an unknown type or a value that does not parse (message for the field).
    """
    if kind == "interval":
        interval = parse_interval(value)
        return TriggerSpec("interval", format_interval(interval), interval=interval)
    if kind == "cron":
        parts = parse_cron(value)
        return TriggerSpec("cron", " ".join(parts), cron=parts)
    if kind == "date":
        run_at = parse_date(value, tz)
        return TriggerSpec("date", run_at.isoformat(timespec="seconds"), run_at=run_at)
    raise ValueError("Choose interval, cron or date.")


# -- JSON arguments ------------------------------------------------------------------------
def _depth(value: Any, level: int = 0) -> int:
    if level > JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def parse_json(text: str, kind: type, what: str) -> Any:
    """``text`` as a JSON array (``kind=list``) or object (``dict``), at most 20 deep.

    Raises:
        ValueError: invalid JSON, the wrong JSON type, or too deep.
    """
    try:
        value = json.loads(text or ("[]" if kind is list else "{}"))
    except (ValueError, RecursionError):
        raise ValueError(f"{what} must be valid JSON.") from None
    if not isinstance(value, kind):
        raise ValueError(f"{what} must be a JSON {'array' if kind is list else 'object'}.")
    if _depth(value) > JSON_DEPTH:
        raise ValueError(f"{what} are nested too deeply.")
    return value


def mask_json(value: Any, redactor: Redactor) -> Any:
    """``value`` with what sits under secret-looking keys replaced by the mask."""
    if isinstance(value, dict):
        return {
            k: MASK if redactor.is_secret(k) else mask_json(v, redactor) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask_json(v, redactor) for v in value]
    return value


def unmask_json(new: Any, old: Any, redactor: Redactor) -> Any:
    """``new`` with every mask the form showed (under a secret key) put back to ``old``'s
    value, so saving a form does not overwrite a secret with its mask."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {
            k: old[k]
            if v == MASK and k in old and redactor.is_secret(k)
            else unmask_json(v, old.get(k), redactor)
            for k, v in new.items()
        }
    if isinstance(new, list) and isinstance(old, (list, tuple)):
        return [
            unmask_json(v, old[i] if i < len(old) else None, redactor) for i, v in enumerate(new)
        ]
    return new


def to_json(value: Any) -> str | None:
    """Compact JSON text for the form, or None when the value is not plain JSON data."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
