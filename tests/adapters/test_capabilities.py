"""What an adapter cannot do is hidden and refused, like a permission nobody has."""

from __future__ import annotations

import httpx
from asyncz.schedulers.asyncio import AsyncIOScheduler

from asyncz_dashboard import AsynczAdmin, DashboardConfig
from asyncz_dashboard.adapters.base import Capabilities

from ..conftest import SECRET, csrf_from, noop


async def test_an_adapter_that_cannot_remove_hides_and_refuses_remove(
    scheduler: AsyncIOScheduler,
) -> None:
    scheduler.add_task(noop, "interval", minutes=5, id="t1", name="Nightly sync")
    admin = AsynczAdmin(scheduler, config=DashboardConfig(secret_key=SECRET))
    admin.adapter.capabilities = Capabilities(remove=False)
    # Capabilities are read when the dashboard is built: rebuild the gate with the new ones.
    admin.auth.supported = admin.adapter.capabilities.actions()
    transport = httpx.ASGITransport(app=admin.get_asgi_app(), root_path="/dashboard")
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/dashboard/tasks")
            assert ">Pause</button>" in page.text
            assert ">Remove</button>" not in page.text
            refused = await client.post(
                "/dashboard/tasks/t1/remove", data={"csrf_token": csrf_from(page.text)}
            )
            assert refused.status_code == 403
            assert scheduler.get_task("t1") is not None
    finally:
        admin.close()
