"""Blocking calls run off the event loop on pools of threads, handed off with asyncio's own executor call.

Starlette's ``run_in_threadpool`` goes through anyio, which on every call looks up the running async library,
takes a capacity limiter and opens a cancel scope: in a burst of 50 concurrent recommends that bookkeeping was a
sixth of the event loop's interpreter time (py-spy, 2026-12-05), on a route whose own work is a few milliseconds.

Drawings (try-on, restyle) have a pool of their own: they run one at a time (``Engines.heavy``) for about a second
each, and a queue of them holding request threads would leave none for the light requests.
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
# Drawings wait for one another anyway; more waiting on threads than this wait in the pool's queue instead.
DRAWING_THREADS = 4
_requests = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="atelier-request")
_drawings = ThreadPoolExecutor(DRAWING_THREADS, thread_name_prefix="atelier-drawing")


async def in_thread(call: Callable[..., T], /, *args) -> T:
    """``call(*args)`` on a request thread, seeing the caller's context variables as anyio's hand-off let it."""
    return await _run(_requests, call, args)


async def in_drawing_thread(call: Callable[..., T], /, *args) -> T:
    """``call(*args)`` (a try-on or a restyle) on a drawing thread, so that no number of them delays a light
    request."""
    return await _run(_drawings, call, args)


async def _run(pool: ThreadPoolExecutor, call: Callable[..., T], args: tuple) -> T:
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(pool, context.run, call, *args)
