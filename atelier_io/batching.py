"""Dynamic micro-batching: many threads each ask for one item's result; one batched call serves them all.

    encode = MicroBatcher(lambda texts: model(texts))   # run: a list of items -> one result per item, in order
    vector = encode("red dress")                         # from any thread; blocks until its row is ready

No background thread and no timer: the first caller to find the batcher idle runs everything queued so far (its own
item included); whatever arrives while that call runs waits and goes in the next one. A lone caller therefore runs
at once, and under a burst each model call serves every request that queued behind the previous one, which on a
small CPU costs far less than one call per request (50 short texts in one MiniLM call vs 50 calls).

Only one batch runs at a time, so ``run`` never runs in two threads at once and needs no lock of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)
class _Slot(Generic[T, R]):
    item: T
    done: bool = False
    value: R | None = None
    error: BaseException | None = field(default=None, repr=False)
    # Set once its batch is done, or when it is this caller's turn to run the next batch. One event a caller: a
    # condition shared by all woke every waiting thread at the end of each batch, and under a burst of 50 those
    # wake-ups took 7% of the serving process's interpreter time.
    wake: threading.Event = field(default_factory=threading.Event, repr=False)


class MicroBatcher(Generic[T, R]):
    """Calls ``run(items)`` with every item queued meanwhile (at most ``max_items``) and hands each caller its result.

    A batch that raises is run again one item at a time, so one caller's bad input fails only that caller."""

    def __init__(self, run: Callable[[list[T]], Sequence[R]], max_items: int = 64):
        if max_items < 1:
            raise ValueError(f"max_items must be at least 1, got {max_items!r}")
        self.run, self.max_items = run, max_items
        self._queue: list[_Slot[T, R]] = []
        self._busy = False
        self._lock = threading.Lock()

    def __call__(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._queue.append(slot)
            leading, self._busy = not self._busy, True
        if not leading:
            slot.wake.wait()  # its batch ran, or the caller before handed it the next one to run
        try:
            while not slot.done:  # our item is queued: run the next batch (ours, unless max_items came before it)
                with self._lock:
                    batch, self._queue = self._queue[: self.max_items], self._queue[self.max_items :]
                self._serve(batch)
        finally:
            with self._lock:  # the next caller still queued runs the next batch; none: the batcher is idle
                if self._queue:
                    self._queue[0].wake.set()
                else:
                    self._busy = False
        if slot.error is not None:
            raise slot.error
        return cast(R, slot.value)  # set by its batch, as no error was

    def _serve(self, batch: list[_Slot[T, R]]) -> None:
        try:
            _fill(batch, self.run)
        except BaseException as err:  # an interrupt in the runner: the callers it serves get it, none waits forever
            for slot in batch:
                slot.error = err
            raise
        finally:
            for slot in batch:
                slot.done = True
                slot.wake.set()


def _fill(batch: list[_Slot[T, R]], run: Callable[[list[T]], Sequence[R]]) -> None:
    try:
        values = run([slot.item for slot in batch])
        if len(values) != len(batch):
            raise RuntimeError(f"the batched call returned {len(values)} results for {len(batch)} items")
    except Exception as err:
        if len(batch) == 1:
            batch[0].error = err
            return
        for slot in batch:  # who caused it is unknown: each item alone gets its own result or error
            _fill([slot], run)
        return
    for slot, value in zip(batch, values, strict=True):
        slot.value = value
