"""Requests through an ASGI app in this process (no socket), for the server tests."""

from __future__ import annotations

import anyio
import httpx
from fastapi import FastAPI


def get(app: FastAPI, url: str, **kw: object) -> httpx.Response:
    """One GET through the app, in process."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ac:
            return await ac.get(url, **kw)  # type: ignore[arg-type]

    return anyio.run(go)
