"""THE route table: which view answers which URL, top to bottom, grouped by page."""

from __future__ import annotations

from ..asgi.routing import Route, Router
from ..auth import permissions as perm
from ..fleet import views as fleet_views
from . import auth, edit, history, overview, runtime, static, tasks, timeline

POST = ("POST",)
GET_POST = ("GET", "POST")  # a GET answers with the confirmation page

ROUTES = [
    # Overview and the scheduler as a whole
    Route("/", overview.overview, name="overview"),
    Route("/partials/overview", overview.overview_partial),
    Route(
        "/scheduler/pause",
        overview.scheduler_pause,
        methods=("GET", "POST"),
        permission=perm.PAUSE_SCHEDULER,
    ),
    Route(
        "/scheduler/resume",
        overview.scheduler_resume,
        methods=("GET", "POST"),
        permission=perm.PAUSE_SCHEDULER,
    ),
    # Task list, its htmx fragment and bulk actions
    Route("/tasks", tasks.task_list),
    Route("/tasks/partials/table", tasks.task_table),
    Route("/tasks/bulk", tasks.tasks_bulk, methods=POST),
    # A row's button (run=<id>, pause=<id>, ...): the task list's one form posts here
    Route("/tasks/act", tasks.tasks_act, methods=POST),
    # New task (only with allowed_callables; before /tasks/{task_id}, which it would match)
    Route("/tasks/create", edit.task_create, methods=("GET", "POST")),
    # One task
    Route("/tasks/{task_id}", tasks.task_detail),
    Route("/tasks/{task_id}/partials/detail", tasks.task_detail_partial),
    Route("/tasks/{task_id}/run", tasks.task_run, methods=GET_POST, permission=perm.RUN),
    Route("/tasks/{task_id}/pause", tasks.task_pause, methods=POST, permission=perm.PAUSE),
    Route("/tasks/{task_id}/resume", tasks.task_resume, methods=GET_POST, permission=perm.RESUME),
    Route("/tasks/{task_id}/remove", tasks.task_remove, methods=GET_POST, permission=perm.REMOVE),
    Route("/tasks/{task_id}/edit", edit.task_edit, methods=("GET", "POST"), permission=perm.EDIT),
    # Run history, logs, events and audit; each live region's fragment is <page>/partials/...
    Route("/runs", history.runs),
    Route("/runs/partials/table", history.runs_table),
    Route("/runs/{run_id}", history.run_detail),
    Route("/runs/{run_id}/partials/detail", history.run_detail_partial),
    Route("/logs", history.logs),
    Route("/logs/partials/table", history.logs_table),
    Route("/events", history.events),
    Route("/events/partials/table", history.events_table),
    Route("/audit", history.audit),
    Route("/audit/partials/table", history.audit_table),
    # Upcoming runs of every task; the scheduler's runtime and its instances
    Route("/timeline", timeline.timeline),
    Route("/runtime", runtime.runtime),
    Route("/instances", runtime.instances),
    Route("/workers", fleet_views.workers),
    Route(
        "/workers/{instance_id}/forget",
        fleet_views.worker_forget,
        methods=POST,
        permission=perm.REMOVE,
    ),
    Route("/workers/partials/table", fleet_views.workers_partial),
    Route(
        "/workers/{instance_id}/pause",
        fleet_views.worker_pause,
        methods=POST,
        permission=perm.PAUSE_SCHEDULER,
    ),
    Route(
        "/workers/{instance_id}/resume",
        fleet_views.worker_resume,
        methods=POST,
        permission=perm.PAUSE_SCHEDULER,
    ),
    # Sign in and out (public: reachable without a user; POSTs still need the CSRF token)
    Route("/login", auth.login, methods=("GET", "POST"), public=True),
    Route("/logout", auth.logout, methods=POST, public=True),
    # Public: health check (no task data) and packaged assets
    Route("/health", overview.health, public=True),
    Route("/static/{path:path}", static.static, public=True),
]


def build_router() -> Router:
    """A new router over ``ROUTES``."""
    return Router(ROUTES)
