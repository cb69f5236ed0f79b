"""Host applications with their own routes, for each framework the dashboard mounts into."""

from __future__ import annotations

from typing import Any

HOST_KINDS = ("starlette", "fastapi", "lilya", "quart")


def starlette_host() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse("host home")

    async def ping(request: Request) -> JSONResponse:
        return JSONResponse({"ping": "pong"})

    return Starlette(routes=[Route("/", home), Route("/api/ping", ping)])


def fastapi_host() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    app = FastAPI()

    @app.get("/", response_class=PlainTextResponse)
    async def home() -> str:
        return "host home"

    @app.get("/api/ping")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    return app


def lilya_host() -> Any:
    from lilya.apps import Lilya
    from lilya.responses import JSONResponse, PlainText
    from lilya.routing import Path

    async def home() -> PlainText:
        return PlainText("host home")

    async def ping() -> JSONResponse:
        return JSONResponse({"ping": "pong"})

    return Lilya(routes=[Path("/", home), Path("/api/ping", ping)])


def quart_host() -> Any:
    from quart import Quart

    app = Quart("host")

    @app.route("/")
    async def home() -> str:
        return "host home"

    @app.route("/api/ping")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    return app


def make_host(kind: str) -> Any:
    """A fresh host app of ``kind`` answering ``/`` ("host home") and ``/api/ping``."""
    factories = {
        "starlette": starlette_host,
        "fastapi": fastapi_host,
        "lilya": lilya_host,
        "quart": quart_host,
    }
    return factories[kind]()
