"""Reading the task form (create and edit): every field parsed, bounded and validated here,
before any scheduler is touched. No scheduler imports: the adapter checks what only the
scheduler can (a cron field's range, the callable's signature, a duplicate id).

Field names are ours and the reference dashboard's (``asyncz.contrib.dashboard``):
``callable_path``, ``misfire_grace_time`` or ``mistrigger_grace_time``, and
``clear_misfire_grace_time`` or ``clear_mistrigger_grace_time``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from .redact import MASK, Redactor

TRIGGER_TYPES = ("interval", "cron", "date")
CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
# Bounds (characters unless said otherwise): nothing typed can be absurdly long or large.
NAME_CHARS = 200
ID_CHARS = 200
CHOICE_CHARS = 300  # callable, executor, store
JSON_CHARS = 20_000
JSON_DEPTH = 20
TRIGGER_CHARS = 200
MAX_INSTANCES = 1000
MAX_GRACE_SECONDS = 10 * 366 * 86400  # ten years
MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=3660)
_INTERVAL = re.compile(
    r"(?:(\d{1,7})w)?(?:(\d{1,7})d)?(?:(\d{1,7})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?"
)
_UNIT_SECONDS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"0", "false", "off", "no"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidChanges(ValueError):
    """Values the scheduler refused: ``errors`` maps a form field to a message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskForm:
    """A task's fields as the form shows them: text as typed, secrets masked."""

    name: str = ""
    callable_path: str = ""
    args: str = "[]"
    kwargs: str = "{}"
    executor: str = "default"
    coalesce: bool = True
    max_instances: str = "1"
    misfire_grace_time: str = ""  # "" means no limit (Asyncz's None)
    trigger_type: str = "interval"
    trigger_value: str = "10m"
    store: str = "default"
    id: str = ""
    paused: bool = False


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    """A parsed trigger: ``kind`` plus its normalised short form ``value`` and its parts."""

    kind: str
    value: str
    interval: timedelta | None = None
    cron: tuple[str, ...] = ()
    run_at: datetime | None = None


@dataclass
class Parsed:
    """What a POST said: ``form`` as typed (to re-render), ``changes`` (field -> typed value,
    only what differs from the task) and ``errors`` (form field -> message)."""

    form: TaskForm
    changes: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


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
        ValueError: not an ISO date and time.
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


# -- the whole form --------------------------------------------------------------------------
class _Reader:
    """Reads one POST against the task's current fields (``original``): a field that is absent
    keeps its value, so a hand-made request may send only what it changes."""

    def __init__(self, form: Any, original: TaskForm):
        self.form = form
        self.original = original
        self.typed: dict[str, Any] = {}
        self.changes: dict[str, Any] = {}
        self.errors: dict[str, str] = {}

    def text(self, key: str, *names: str, limit: int) -> str:
        """The field's value (stripped, first of ``names`` sent), or the original's; an
        over-long value is an error and is shown cut."""
        value: str | None = None
        for name in names or (key,):
            if name in self.form:
                value = str(self.form[name])
                break
        if value is None:
            value = str(getattr(self.original, key))
        value = value.strip()
        self.typed[key] = value[:limit] if len(value) > limit else value
        if len(value) > limit:
            self.errors[key] = f"At most {limit} characters."
        elif key not in ("args", "kwargs") and _CONTROL.search(value):
            self.errors[key] = "No control characters, please."
        return value

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def flag(self, *names: str) -> bool | None:
        """A checkbox or true/false field: None when absent; a hidden "false" before the
        checkbox makes an unchecked box arrive as False."""
        values = [v.strip().lower() for name in names for v in self.form.getlist(name)]
        if not values:
            return None
        if any(v in _TRUE for v in values):
            return True
        if all(v in _FALSE for v in values):
            return False
        self.fail(names[0], "Choose yes or no.")
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class FormContext:
    """What a form is checked against: the scheduler's zone, executors and stores, the host's
    allowlist, whether a new task is made and whether arguments may be shown."""

    tz: tzinfo
    executors: tuple[str, ...]
    stores: tuple[str, ...]
    allowlist: CallableAllowlist | None = None
    creating: bool = False
    show_args: bool = True


def read_task_form(form: Any, original: TaskForm, context: FormContext) -> Parsed:
    """Parse and validate a task form (a ``MultiDict``) against ``original``.

    Every field is bounded; nothing is imported or scheduled. ``changes`` holds, by our
    names: ``name``, ``callable`` (an allowed name), ``args`` (list), ``kwargs`` (dict),
    ``executor``, ``coalesce``, ``max_instances``, ``misfire_grace_time`` (seconds or None),
    ``trigger`` (``TriggerSpec``) and, creating, ``store``, ``id``, ``paused``.
    """
    reader = _Reader(form, original)
    _read_name_and_callable(reader, context)
    _read_arguments(reader, context)
    _read_options(reader, context)
    _read_trigger(reader, context)
    if context.creating:
        _read_placement(reader, context)
    typed = replace(original, **reader.typed)
    return Parsed(typed, reader.changes if not reader.errors else {}, reader.errors)


def _read_name_and_callable(reader: _Reader, context: FormContext) -> None:
    name = reader.text("name", limit=NAME_CHARS)
    if not name and not context.creating:
        reader.fail("name", "A task needs a name.")
    elif name != reader.original.name or (context.creating and name):
        reader.changes["name"] = name or None
    path = reader.text("callable_path", "callable_path", "callable", limit=CHOICE_CHARS)
    if path == reader.original.callable_path and not context.creating:
        return
    allowed = context.allowlist.lookup(path) if context.allowlist else None
    if allowed is not None:
        reader.changes["callable"] = allowed
    elif context.allowlist is None:
        reader.fail("callable_path", "The callable of a task cannot be changed here.")
    elif not path:
        reader.fail("callable_path", "Choose a callable.")
    else:
        reader.fail("callable_path", "Choose one of the callables this dashboard allows.")


def _read_arguments(reader: _Reader, context: FormContext) -> None:
    for key, kind, what in (("args", list, "Args"), ("kwargs", dict, "Kwargs")):
        text = reader.text(key, limit=JSON_CHARS)
        if key in reader.errors or (text == getattr(reader.original, key) and not context.creating):
            continue
        if not context.show_args and not context.creating:
            reader.fail(key, "Arguments are hidden on this dashboard; they cannot be changed.")
            continue
        try:
            reader.changes[key] = parse_json(text, kind, what)
        except ValueError as exc:
            reader.fail(key, str(exc))


def _read_options(reader: _Reader, context: FormContext) -> None:
    original = reader.original
    executor = reader.text("executor", limit=CHOICE_CHARS)
    if executor != original.executor or context.creating:
        if executor not in context.executors:
            reader.fail("executor", "Choose one of the scheduler's executors.")
        elif executor != original.executor or context.creating:
            reader.changes["executor"] = executor
    coalesce = reader.flag("coalesce")
    reader.typed["coalesce"] = original.coalesce if coalesce is None else coalesce
    if context.creating or (coalesce is not None and coalesce != original.coalesce):
        reader.changes["coalesce"] = reader.typed["coalesce"]
    text = reader.text("max_instances", limit=12)
    if not text.isdigit() or not 1 <= int(text) <= MAX_INSTANCES:
        reader.fail("max_instances", f"A whole number from 1 to {MAX_INSTANCES}.")
    elif str(int(text)) != original.max_instances or context.creating:
        reader.changes["max_instances"] = int(text)
    _read_grace(reader, context.creating)


def _read_grace(reader: _Reader, creating: bool) -> None:
    names = ("misfire_grace_time", "mistrigger_grace_time")
    cleared = reader.flag("clear_misfire_grace_time", "clear_mistrigger_grace_time")
    text = reader.text("misfire_grace_time", *names, limit=24)
    if cleared:
        text = reader.typed["misfire_grace_time"] = ""
    seconds: float | None = None
    if text:
        try:
            seconds = float(text)
        except ValueError:
            seconds = None
        if seconds is None or not 0 < seconds <= MAX_GRACE_SECONDS:
            reader.fail("misfire_grace_time", "A number of seconds above 0 (ten years at most).")
            return
        text = str(int(seconds)) if seconds.is_integer() else str(seconds)
        seconds = int(seconds) if seconds.is_integer() else seconds
        reader.typed["misfire_grace_time"] = text
    if text != reader.original.misfire_grace_time or creating:
        reader.changes["misfire_grace_time"] = seconds


def _read_trigger(reader: _Reader, context: FormContext) -> None:
    original = reader.original
    kind = reader.text("trigger_type", limit=40).lower()
    value = reader.text("trigger_value", limit=TRIGGER_CHARS)
    if "trigger_type" in reader.errors or "trigger_value" in reader.errors:
        return
    unchanged = kind == original.trigger_type and value == original.trigger_value
    if unchanged and not context.creating:
        return
    if kind not in TRIGGER_TYPES:
        if kind == original.trigger_type:
            reader.fail(
                "trigger_value",
                "This trigger can only be kept as it is; choose "
                "interval, cron or date to replace it.",
            )
        else:
            reader.fail("trigger_type", "Choose interval, cron or date.")
        return
    try:
        spec = parse_trigger(kind, value, context.tz)
    except ValueError as exc:
        reader.fail("trigger_value", str(exc))
        return
    reader.typed["trigger_value"] = spec.value  # normalised: "300" reads back as "5m"
    if context.creating or (spec.kind, spec.value) != (
        original.trigger_type,
        original.trigger_value,
    ):
        reader.changes["trigger"] = spec


def _read_placement(reader: _Reader, context: FormContext) -> None:
    store = reader.text("store", limit=CHOICE_CHARS)
    if store not in context.stores:
        reader.fail("store", "Choose one of the scheduler's stores.")
    else:
        reader.changes["store"] = store
    task_id = reader.text("id", "id", "task_id", limit=ID_CHARS)
    if task_id == "create":
        reader.fail("id", "'create' is the address of this page; choose another id.")
    elif task_id:
        reader.changes["id"] = task_id
    state = reader.text("paused", "state", "initial_state", limit=20).lower()
    if state not in ("", "scheduled", "paused", "true", "false", "on"):
        reader.fail("paused", "Choose scheduled or paused.")
    reader.typed["paused"] = paused = state in ("paused", "true", "on")
    reader.changes["paused"] = paused


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangePreview:
    """What a checked form would do: the next run times (aware, UTC; the first ones, or what
    a paused task would do once resumed), the trigger in words, and whether it stays paused."""

    run_times: tuple[datetime, ...]
    run_texts: tuple[str, ...]  # the same, formatted in the scheduler's zone
    trigger_text: str
    paused: bool
