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


class MicroBatcher(Generic[T, R]):
    """Calls ``run(items)`` with every item queued meanwhile (at most ``max_items``) and hands each caller its result.

    A batch that raises is run again one item at a time, so one caller's bad input fails only that caller."""

    def __init__(self, run: Callable[[list[T]], Sequence[R]], max_items: int = 64):
        if max_items < 1:
            raise ValueError(f"max_items must be at least 1, got {max_items!r}")
        self.run, self.max_items = run, max_items
        self._queue: list[_Slot[T, R]] = []
        self._busy = False
        self._changed = threading.Condition()

    def __call__(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._changed:
            self._queue.append(slot)
        while True:
            with self._changed:
                while self._busy and not slot.done:
                    self._changed.wait()
                if slot.done:
                    break
                # Idle and our item still queued: we run the next batch (it holds our item unless more than
                # max_items were queued before it, in which case we loop and run the one after).
                self._busy = True
                batch, self._queue = self._queue[: self.max_items], self._queue[self.max_items :]
            self._serve(batch)
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
            with self._changed:
                for slot in batch:
                    slot.done = True
                self._busy = False
                self._changed.notify_all()


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
