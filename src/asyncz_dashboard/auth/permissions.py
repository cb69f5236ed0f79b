"""What a user may do: permission names, the read-only switch and the host's hook."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .backends import User

VIEW = "view"
RUN = "run"
PAUSE = "pause"
RESUME = "resume"
REMOVE = "remove"
PAUSE_SCHEDULER = "pause_scheduler"
EDIT = "edit"
CREATE = "create"

ALL_PERMISSIONS = frozenset({VIEW, RUN, PAUSE, RESUME, REMOVE, PAUSE_SCHEDULER, EDIT, CREATE})
READ_ONLY = frozenset({VIEW})

PermissionsHook = Callable[[User], Iterable[str]]


def resolve_permissions(
    user: User | None, hook: PermissionsHook | None, read_only: bool
) -> frozenset[str]:
    """The permissions of ``user``: the hook's answer (unknown names dropped), capped to
    view-only when ``read_only``; everything when there is no hook."""
    granted = ALL_PERMISSIONS
    if hook is not None and user is not None:
        granted = frozenset(hook(user)) & ALL_PERMISSIONS
    if read_only:
        granted &= READ_ONLY
    return granted
