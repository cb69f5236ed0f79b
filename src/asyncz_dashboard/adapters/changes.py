"""Reading the task form (create and edit): every field parsed, bounded and validated here,
before any scheduler is touched. No scheduler imports: the adapter checks what only the
scheduler can (a cron field's range, the callable's signature, a duplicate id).

Field names are ours and the reference dashboard's (``asyncz.contrib.dashboard``):
``callable_path``, ``misfire_grace_time`` or ``mistrigger_grace_time``, and
``clear_misfire_grace_time`` or ``clear_mistrigger_grace_time``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from .values import (
    CallableAllowlist,
    parse_json,
    parse_trigger,
)

TRIGGER_TYPES = ("interval", "cron", "date")
# Bounds (characters unless said otherwise): nothing typed can be absurdly long or large.
NAME_CHARS = 200
ID_CHARS = 200
CHOICE_CHARS = 300  # callable, executor, store
JSON_CHARS = 20_000
TRIGGER_CHARS = 200
MAX_INSTANCES = 1000
MAX_GRACE_SECONDS = 10 * 366 * 86400  # ten years
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


@dataclass
class Parsed:
    """What a POST said: ``form`` as typed (to re-render), ``changes`` (field -> typed value,
    only what differs from the task) and ``errors`` (form field -> message)."""

    form: TaskForm
    changes: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


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
    trigger_text: str
    paused: bool
