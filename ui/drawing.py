"""Where try-ons and restyles run: beside the light requests, never in their way.

    drawing = Drawing.in_process(folder, load_tryon)   # a process of its own, which loads the pipeline itself
    drawing.ready()                                     # ...wait for it
    out = drawing.run(draw_try_on, photo, garment_photo_path, "upper", ask, "short")   # draw_try_on(pipeline, ...)

``draw_try_on`` and ``draw_restyle`` are the drawings ``ui.Engines`` asks for. This module imports little (the drawing
process imports it first): the models load in the process, with the ``load`` handed in.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

from atelier_io import load_image

from .vault import private_folder

if TYPE_CHECKING:
    from PIL import Image

    from style import RestyleOutput
    from tryon import Ask, TryOn

log = logging.getLogger(__name__)
T = TypeVar("T")
DRAWING_NICE = 10  # the drawing's share of a contended core: about a tenth of a light request's


class Drawing:
    """Try-ons and restyles run here, with the try-on pipeline, at a priority the OS schedules after every other
    (a higher nice value, Linux only, where each thread has its own): a drawing takes seconds of both cores, and
    run at the same priority it would double the time of every light request beside it. When nothing else asks for
    the CPU it still gets all of it.

    ``Drawing.in_process(folder, load)`` (what ``Engines.load`` serves with) draws in a process of its own, which
    builds its pipeline with ``load`` when it starts: much of a drawing is Python, and on a thread of the serving
    process it held the interpreter lock the light requests wait for (50 concurrent recommends beside two try-ons:
    p95 0.46 s, against 0.29 s alone). ``Drawing(folder, tryon)`` draws on a thread of this process with a
    pipeline already loaded (tests, and scripts that build their own).

    ``run(draw, *args)`` returns ``draw(pipeline, *args)``: ``draw`` and its arguments travel to the drawing process
    (a module-level function and picklable values: photos, an ``Ask``), and its result and its errors come back.

    And no more than ``slots`` drawings run at once on the machine, whatever the number of worker processes on
    ``folder`` (the store's files folder): each holds an exclusive lock on one of ``slots`` files there, which the
    OS releases if its process dies. By default one a pair of cores: two workers on 2 cores drawing at once left
    none to the light requests."""

    def __init__(self, folder: Path, tryon: TryOn | None = None, *, slots: int | None = None) -> None:
        self.folder, self.slots = folder, slots or max(1, (os.cpu_count() or 1) // 2)
        private_folder(folder)
        self._tryon, self._load, self._process = tryon, None, None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="atelier-drawing", initializer=_yield_to_requests)

    @classmethod
    def in_process(cls, folder: Path, load: Callable[[], TryOn], slots: int | None = None) -> Drawing:
        """Drawings in a process of their own, which starts now and loads its pipeline with ``load`` (a module-level
        function) while the caller loads its own models; ``ready`` waits for it."""
        drawing = cls(folder, slots=slots)
        drawing._load = load
        drawing._start()
        return drawing

    def _start(self) -> None:
        spawn = multiprocessing.get_context("spawn")  # a fork would copy this process's runtime threads' locks
        self._process = ProcessPoolExecutor(1, spawn, initializer=_start_drawing, initargs=(os.getpid(),))
        # The process starts now and loads first: every drawing queues behind the loading
        self._loaded = self._process.submit(_load_pipeline, self._load)

    def ready(self) -> None:
        """Wait until the drawing process has loaded its pipeline. Why it could not (missing weights) is raised
        here as the loading raised it; DrawingUnavailable if the process died."""
        if self._process is not None:
            try:
                self._loaded.result()
            except BrokenProcessPool as err:
                raise DrawingUnavailable("the drawing process ended while loading its models") from err

    def run(self, draw: Callable[..., T], *args) -> T:
        return self._thread.submit(self._in_a_slot, draw, args).result()

    def close(self, wait: bool = False) -> None:
        """End the drawing process (if any) and the drawing thread; drawings in progress are abandoned, or with
        ``wait`` finished first (a load that failed elsewhere: the process then ends before its caller does, which
        at exit otherwise waited on it forever in a worker of ``atelier serve --workers N``)."""
        if self._process is not None:
            self._process.shutdown(wait=wait, cancel_futures=True)
        self._thread.shutdown(wait=wait, cancel_futures=True)

    def _in_a_slot(self, draw: Callable[..., T], args: tuple) -> T:
        handles = [(self.folder / f"drawing-{i}.lock").open("a") for i in range(self.slots)]
        try:
            if not any(_lock(handle, wait=False) for handle in handles):
                # every slot is drawing: wait for one (each process its own, so the waits spread out)
                _lock(handles[os.getpid() % self.slots], wait=True)
            if self._process is None:
                return draw(self._tryon, *args)
            return self._in_process(_draw_here, (draw, args))
        finally:
            for handle in handles:  # closing a file releases its lock
                handle.close()

    def _in_process(self, call: Callable[..., T], args: tuple) -> T:
        try:
            return self._process.submit(call, *args).result()
        except BrokenProcessPool as err:
            # The drawing process died (killed for memory, a crash in a runtime) or could not load its models: this
            # drawing fails, and a new process starts for the next one
            log.error("the drawing process ended: %s; starting a new one", err)
            self._process.shutdown(wait=False, cancel_futures=True)  # the broken pool's queues and threads go with it
            self._start()
            raise DrawingUnavailable("try-on and restyle are restarting; try again shortly") from err


class DrawingUnavailable(RuntimeError):
    """The drawing process is not there (it died, or is loading again): a request may be retried shortly."""


_PIPELINE: TryOn | None = None  # in the drawing process: the pipeline its ``load`` built


def _start_drawing(parent: int) -> None:
    """The drawing process's start: its priority (the threads its models start inherit it), a watch on its
    parent."""
    _yield_to_requests()
    threading.Thread(target=_end_with, args=(parent,), name="atelier-parent-watch", daemon=True).start()


def _load_pipeline(load: Callable[[], TryOn]) -> None:
    """The drawing process's first task: its models. A task, not the start, so that what stops them loading comes
    back to ``Drawing.ready`` as itself."""
    global _PIPELINE
    _PIPELINE = load()


def _end_with(parent: int) -> None:
    """End this process once ``parent`` has gone (killed, with no chance to end it): it would hold its models'
    memory for nothing."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _draw_here(draw: Callable[..., T], args: tuple) -> T:
    return draw(_PIPELINE, *args)


@dataclass
class Drawn:
    """What a try-on sends back from the drawing process: the picture as a PNG made from its pixels (compressing it
    there takes some 40 ms of CPU off the serving process), what it was drawn at, and the seconds each model took
    (recorded by the caller, where /metrics reads them)."""

    png: bytes
    size: str | None
    colour: str | None
    seconds: dict[str, float]


def draw_try_on(tryon: TryOn, photo: Image.Image, garment: Path, category: str, ask: Ask,
                sleeves: str | None) -> Drawn:
    """A try-on, in the drawing process: the garment's product photo (read here) restyled first if the request
    asks for a style ("make it vintage"), then drawn on the shopper."""
    seconds = {}
    image = load_image(garment)
    if ask.style:
        from style import restyle  # imported at the first restyle: a second and a half the start need not wait for

        start = time.perf_counter()
        image = restyle(image, ask.style).image
        seconds["restyle"] = time.perf_counter() - start
    start = time.perf_counter()
    out = tryon(photo, image, category=category, ask=ask, sleeves=sleeves)
    seconds["tryon"] = time.perf_counter() - start
    png = io.BytesIO()
    out.image.save(png, "PNG")
    return Drawn(png.getvalue(), out.size, out.colour, seconds)


def draw_restyle(tryon: TryOn, photo: Image.Image, target, strength: float,
                 preserve_colour: bool) -> tuple[RestyleOutput, dict[str, float]]:
    """A restyle, in the drawing process (its cut-out model is loaded there)."""
    from style import restyle as restyled

    start = time.perf_counter()
    out = restyled(photo, target, strength=strength, preserve_colour=preserve_colour)
    return out, {"restyle": time.perf_counter() - start}


def _lock(handle: IO, wait: bool) -> bool:
    """An exclusive lock on ``handle``'s file; without ``wait``, False at once if another holds it."""
    import fcntl  # POSIX: the server runs on Linux (and macOS)

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def yield_runtime_threads() -> None:
    """The threads the model runtimes started while loading (ONNX Runtime's pools, MediaPipe's graphs) get the
    drawing's priority too: the light requests' models run on the requests' own threads (one-thread sessions), so
    these threads serve try-ons, image searches and catalog embedding, and at nice 0 they took half a try-on's CPU
    from the light requests. Linux only, like the drawing thread's nice."""
    if sys.platform != "linux":
        return
    python = {thread.native_id for thread in threading.enumerate()}
    for task in os.scandir("/proc/self/task"):
        if int(task.name) in python:
            continue
        try:
            nice = os.getpriority(os.PRIO_PROCESS, int(task.name))
            os.setpriority(os.PRIO_PROCESS, int(task.name), min(19, nice + DRAWING_NICE))
        except OSError:  # it ended meanwhile
            continue


def _yield_to_requests() -> None:
    if sys.platform == "linux":  # elsewhere nice is the whole process's, light requests included
        os.nice(DRAWING_NICE)  # on Linux, the calling thread's: relative, so a server already niced stays below
