"""Blocking calls run off the event loop on one pool of request threads, handed off with asyncio's own executor call.

Starlette's ``run_in_threadpool`` goes through anyio, which on every call looks up the running async library,
takes a capacity limiter and opens a cancel scope: in a burst of 50 concurrent recommends that bookkeeping was a
sixth of the event loop's interpreter time (py-spy, 2026-12-05), on a route whose own work is a few milliseconds.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
# As many as anyio's default limiter allowed: requests that wait in a micro-batch (the rate limit's shared
# transaction, the text tower) hold a thread each while they wait, and a batch serves whoever is waiting.
REQUEST_THREADS = 40
_pool = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="atelier-request")


async def in_thread(call: Callable[..., T], /, *args) -> T:
    """``call(*args)`` on a request thread, seeing the caller's context variables as anyio's hand-off let it."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_pool, context.run, call, *args)
