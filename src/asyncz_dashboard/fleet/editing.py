"""Editing and creating tasks of a fleet: the form from a task's mirrored snapshot, the
preview computed here, and the ``edit``/``create`` command carried out by a worker within its
own allowlist (its callables stay in its process); ``FleetAllowlist`` offers the live workers'
callable names."""

from __future__ import annotations

import asyncio
from datetime import timezone, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..adapters.asyncz import _number, build_trigger, preview_trigger
from ..adapters.base import ActionFailed
from ..adapters.changes import ChangePreview, InvalidChanges, TaskForm
from ..adapters.index import TaskIndex
from ..adapters.snapshots import TaskSnapshot
from ..adapters.values import CallableAllowlist, TriggerSpec, parse_trigger
from .db import Instance

if TYPE_CHECKING:
    from .adapter import FleetAdapter
    from .commands import Commands


class Editing:
    """``FleetAdapter``'s task form, preview and edit/create commands (a base class of it)."""

    index: TaskIndex
    instances: dict[str, Instance]
    commands: Commands

    if TYPE_CHECKING:

        def get_task(self, task_id: str) -> TaskSnapshot: ...

    def task_form(self, task_id: str) -> TaskForm:
        """A task's form, from its mirrored snapshot: the arguments as their masked repr (kept
        unless replaced), the trigger as the worker wrote it (``trigger_form``).

        Raises:
            TaskNotFound: no worker holds it.
            ActionFailed: every worker holding it is unreachable.
        """
        snap = self.get_task(task_id)
        self.commands.target(task_id)
        grace = snap.misfire_grace_time
        return TaskForm(
            name=snap.name,
            callable_path=snap.callable_reference,
            args=snap.args_repr,
            kwargs=snap.kwargs_repr,
            executor=snap.executor,
            coalesce=snap.coalesce,
            max_instances=str(snap.max_instances),
            misfire_grace_time="" if grace is None else _number(grace),
            trigger_type=snap.trigger_alias,
            trigger_value=snap.trigger_form or snap.trigger_raw,
            store=snap.store,
            id=snap.id,
            paused=snap.state == "paused",
        )

    def new_task_form(self) -> TaskForm:
        """The create form's starting values (each worker applies its own defaults after)."""
        return TaskForm()

    def creator(self, callable_name: str, executor: str, store: str) -> Instance | None:
        """The live worker (first by name) that allows ``callable_name`` and has ``executor``
        and ``store``: where a ``create`` command goes."""
        for instance in sorted(self.instances.values(), key=lambda i: i.name):
            if (
                instance.reachable
                and callable_name in instance.callables
                and executor in instance.executors
                and store in instance.stores
            ):
                return instance
        return None

    def _target(self, task_id: str | None, changes: dict[str, Any]) -> Instance:
        """Where the change goes, checked against that worker (field -> message).

        Raises:
            TaskNotFound: no worker holds ``task_id``.
            InvalidChanges: no live worker can take it.
        """
        if task_id is not None:
            try:
                worker = self.commands.target(task_id)
            except ActionFailed as exc:
                raise InvalidChanges({"name": str(exc)}) from None
            if "callable" in changes and changes["callable"] not in worker.callables:
                raise InvalidChanges(
                    {"callable_path": f"{worker.name} does not allow this callable."}
                )
            if "executor" in changes and changes["executor"] not in worker.executors:
                raise InvalidChanges({"executor": f"{worker.name} has no such executor."})
            return worker
        if changes.get("id") and self.index.get(changes["id"]) is not None:
            raise InvalidChanges({"id": "A task with this id exists already."})
        found = self.creator(
            str(changes.get("callable", "")),
            str(changes.get("executor", "default")),
            str(changes.get("store", "default")),
        )
        if found is None:
            raise InvalidChanges(
                {"callable_path": "No live worker allows this callable with this executor "
                 "and store."}
            )  # fmt: skip
        return found

    async def preview_changes(self, task_id: str | None, changes: dict[str, Any]) -> ChangePreview:
        """Check ``changes`` against the worker that would carry them out and compute the next
        run times here, from the submitted trigger (or the mirrored one), in that worker's
        zone: the worker's process is not needed. Its callable's signature is checked by the
        worker when the command arrives.

        Raises:
            TaskNotFound: no worker holds ``task_id``.
            InvalidChanges: a value no live worker can take (field -> message).
        """
        worker = self._target(task_id, changes)
        tz = zone(worker.timezone)
        snap = self.get_task(task_id) if task_id is not None else None
        spec: TriggerSpec | None = changes.get("trigger")
        if spec is None and snap is not None and snap.trigger_form:
            try:
                current = parse_trigger(snap.trigger_alias, snap.trigger_form, tz)
            except ValueError:
                current = None
        else:
            current = None
        use = spec or current
        if use is None:  # a kind the form cannot write: what the mirror says
            shown = (snap.next_run_time,) if snap and snap.next_run_time else ()
            return ChangePreview(
                run_times=shown, trigger_text=snap.trigger_text if snap else "", paused=False
            )
        trigger = build_trigger(use, tz)
        first = snap.next_run_time if snap is not None and spec is None else None
        times, words = await asyncio.to_thread(preview_trigger, trigger, tz, first, spec)
        paused = bool(changes.get("paused")) if snap is None else snap.state == "paused"
        return ChangePreview(run_times=times, trigger_text=words, paused=paused)

    async def update_task(self, task_id: str, changes: dict[str, Any]) -> TaskSnapshot | None:
        """Send an ``edit`` command to the worker holding the task; its new snapshot.

        Raises:
            TaskNotFound, ActionFailed, NotConfirmed: as ``Commands.send``.
        """
        return await self.commands.send("edit", task_id, payload=command_values(changes))

    async def add_task(self, changes: dict[str, Any]) -> TaskSnapshot:
        """Send a ``create`` command to a live worker that allows the callable; the new task.

        Raises:
            InvalidChanges: no live worker can take it.
            ActionFailed, NotConfirmed: as ``Commands.send``.
        """
        worker = self._target(None, changes)
        created = await self.commands.send(
            "create", str(changes.get("id") or ""), payload=command_values(changes), worker=worker
        )
        if created is None:
            raise ActionFailed(f"{worker.name} added the task, but it is not listed yet.")
        return created


class FleetAllowlist(CallableAllowlist):
    """The callables the fleet's live workers allow (their ``allowed_callables`` names), as
    the task form offers them: names only, never imported here (each worker imports its own
    after checking its list again). It follows the workers as they come and go."""

    def __init__(self, adapter: FleetAdapter):
        super().__init__(())
        self.adapter = adapter

    def _names(self) -> tuple[str, ...]:
        live = (i for i in self.adapter.instances.values() if i.reachable)
        return tuple(dict.fromkeys(name for i in live for name in i.callables))

    def __bool__(self) -> bool:
        return bool(self._names())

    def names(self) -> tuple[str, ...]:
        """The names offered, in the workers' order."""
        return self._names()

    def lookup(self, value: str) -> str | None:
        """``value`` when a live worker allows that name, else None."""
        value = value.strip()
        return value if value in self._names() else None

    def target(self, name: str) -> str:
        """The name itself: the worker that carries the command out resolves it."""
        return name


def command_values(changes: dict[str, Any]) -> dict[str, Any]:
    """``read_task_form``'s checked values as a command's JSON payload: the trigger as its
    kind and short form, the callable by its allowed name (``fn`` is the worker's to find)."""
    values = {k: v for k, v in changes.items() if k not in ("fn", "trigger")}
    spec: TriggerSpec | None = changes.get("trigger")
    if spec is not None:
        values["trigger"] = {"kind": spec.kind, "value": spec.value}
    return values


def zone(name: str) -> tzinfo:
    """The zone named ``name``; UTC when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return timezone.utc
