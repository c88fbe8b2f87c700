"""Parallel serving: light calls never wait behind a try-on, a refresh swaps what requests read whole, and
``atelier serve --workers 2`` answers from two processes on one port and one store."""

from __future__ import annotations

import gc
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tryon import Ask

REPO = Path(__file__).resolve().parents[1]
PERSON = REPO / "ui" / "demo_catalog" / "tryon" / "people" / "00034_00.jpg"
LIGHT_SECONDS = 60  # generous for a loaded 2-core machine; a light call that waits for the held lock never returns
WORKERS_START = 300  # seconds for the parent and two workers to load their models on 2 busy cores


def test_light_calls_finish_while_a_heavy_call_holds_its_lock(service_engines):
    engines = service_engines
    with ThreadPoolExecutor(4) as pool, engines.heavy:  # as a try-on in progress holds it
        light = [pool.submit(engines.parse, "a red dress under 50"),
                 pool.submit(engines.search_text, "red dress", 3),
                 pool.submit(engines.recommend, ask=Ask("a summer dress"), k=3),
                 pool.submit(engines.recommend, history=list(engines.products)[:2], k=3)]
        parsed, found, from_words, from_history = (future.result(timeout=LIGHT_SECONDS) for future in light)
        tryon = pool.submit(engines.try_on, PERSON.read_bytes(), engines.garments[0].id)
        time.sleep(0.5)
        assert not tryon.done(), "a second heavy call ran while the first held the heavy lock"
    assert parsed.request is not None and found.hits and from_words.items and from_history.items
    assert tryon.exception(timeout=LIGHT_SECONDS) is None or isinstance(tryon.exception(), ValueError)


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux gives each thread its own nice value")
def test_drawings_run_on_a_thread_the_os_schedules_after_the_light_requests(tmp_path):
    from ui.drawing import DRAWING_NICE, Drawing

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def refuse(_) -> None:
        raise ValueError("photo too small")

    drawing, own = Drawing(tmp_path), nice()
    assert drawing.run(lambda _: nice()) == min(19, own + DRAWING_NICE)
    assert nice() == own  # the caller, a light request's thread, keeps its priority
    with pytest.raises(ValueError, match="too small"):  # a refusal reaches the caller as itself
        drawing.run(refuse)


def _named_pipeline() -> str:  # module-level: a drawing process's ``load`` travels to it by name
    return "the pipeline"


def _no_weights() -> str:
    raise FileNotFoundError("weights/files/u2netp.onnx is missing")


def _where(pipeline: str) -> tuple[str, int, int]:
    return pipeline, os.getpid(), os.getpriority(os.PRIO_PROCESS, 0)


def _refuse(_) -> None:
    raise ValueError("photo too small")


def _crash(_) -> None:
    os._exit(1)  # as a drawing killed for memory, or a crash in a model runtime


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux gives each thread its own nice value")
def test_drawings_run_in_a_process_of_their_own_that_starts_again_after_a_crash(tmp_path):
    """Served drawings (``Drawing.in_process``) run in another process, which built its pipeline with the ``load``
    it was handed and runs after the light requests; a refusal comes back as itself; a crash fails that drawing
    only, as DrawingUnavailable (a 503), and the next one runs in a new process."""
    from ui.drawing import DRAWING_NICE, Drawing, DrawingUnavailable

    drawing, own = Drawing.in_process(tmp_path, _named_pipeline), os.getpriority(os.PRIO_PROCESS, 0)
    try:
        drawing.ready()
        pipeline, pid, nice = drawing.run(_where)
        assert pipeline == "the pipeline" and pid != os.getpid() and nice == min(19, own + DRAWING_NICE)
        with pytest.raises(ValueError, match="too small"):
            drawing.run(_refuse)
        with pytest.raises(DrawingUnavailable):
            drawing.run(_crash)
        assert drawing.run(_where)[1] not in (pid, os.getpid())
    finally:
        drawing.close()
    broken = Drawing.in_process(tmp_path, _no_weights)
    try:  # models that cannot load say why, as their loading said it
        with pytest.raises(FileNotFoundError, match="u2netp.onnx is missing"):
            broken.ready()
    finally:
        broken.close()


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux gives each thread its own nice value")
@pytest.mark.parametrize(("slots", "at_once"), [(1, False), (2, True)])
def test_drawings_take_turns_across_processes_on_one_machine(tmp_path, slots, at_once):
    """Two workers' drawings (two Drawing on one folder, as two processes have) run one at a time with one slot,
    together with two."""
    from ui.drawing import Drawing

    spans: list[tuple[float, float]] = []

    def draw(_) -> None:
        start = time.monotonic()
        time.sleep(0.4)
        spans.append((start, time.monotonic()))

    one, two = Drawing(tmp_path, slots=slots), Drawing(tmp_path, slots=slots)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(one.run, draw)
        time.sleep(0.1)
        second = pool.submit(two.run, draw)
        first.result(), second.result()
    (_, first_end), (second_start, _) = sorted(spans)
    assert (second_start < first_end) == at_once


def test_the_model_runtimes_threads_yield_to_the_light_requests(service_engines):
    """Threads a runtime started (ONNX Runtime's pool of a new session here) run after the requests' own threads."""
    from ui.drawing import DRAWING_NICE, yield_runtime_threads

    service_engines.encoder.encode_images([Image.new("RGB", (64, 64), "red")])  # its session's pool is running
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    yield_runtime_threads()
    python = {thread.native_id for thread in threading.enumerate()}
    nice = {int(task.name): os.getpriority(os.PRIO_PROCESS, int(task.name)) for task in os.scandir("/proc/self/task")}
    assert any(tid not in python for tid in nice)  # there are runtime threads
    assert all(value >= min(19, own + DRAWING_NICE) for tid, value in nice.items() if tid not in python)
    assert nice[threading.get_native_id()] == own  # a request's thread keeps its priority


def test_refresh_swaps_the_snapshot_whole_under_concurrent_reads(service_engines):
    engines = service_engines
    before = engines.shop
    with ThreadPoolExecutor(2) as pool:
        refreshing = pool.submit(engines.refresh)
        while not refreshing.done():
            answer = engines.recommend(ask=Ask("black leather jacket"), k=3)
            assert answer.items and all(item.item_id in engines.titles for item in answer.items)
        refreshing.result()
    assert engines.shop is not before and engines.catalog.products and engines.products


def test_a_worker_rereads_the_store_another_one_changed(service_engines, tmp_path):
    """Two Engines on one store, as two workers of `atelier serve --workers 2`: what one writes (a history, then
    the user's deletion) makes the other re-read the store at its next request (its recommender, fitted on every
    history, is rebuilt without the deleted one), not at its next restart."""
    import pandas as pd

    from recsys import Store
    from ui import Engines

    first = service_engines
    second = Engines(first.encoder, Store(first.store.url), first.parser, first.drawing, first.garments, tmp_path)
    items = sorted(first.products)[:3]
    first.add_interactions("u-two-workers", pd.DataFrame({"item_id": items, "kind": "purchase",
                                                          "ts": pd.Timestamp("2024-05-01")}))
    assert second.recommend(user_id="u-two-workers", k=3).items
    fitted_with_them = second.current().shop
    first.delete_user("u-two-workers")
    with pytest.raises(KeyError):
        second.recommend(user_id="u-two-workers", k=3)
    assert second.current().shop is not fitted_with_them  # rebuilt from the store without their history
    assert second.current().generation == first.store.generation()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WORKERS_START
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"atelier serve --workers 2 exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.skip(f"atelier serve --workers 2 did not answer within {WORKERS_START} s on this machine")


def _answering_pids(log: Path) -> set[str]:
    return set(re.findall(r"\[(\d+)\] atelier\.access: GET /healthz 200", log.read_text(errors="replace")))


def test_two_workers_answer_on_one_port_against_one_store(tmp_path):
    db, port, log = tmp_path / "shop.db", _free_port(), tmp_path / "serve.log"
    bin_dir = Path(sys.executable).parent
    made = subprocess.run([str(bin_dir / "atelier"), "keys", "create", "--name", "t", "--scope", "admin",
                           "--rate", "10000", "--db", str(db)], capture_output=True, text=True, check=True)
    key = made.stdout.strip().splitlines()[-1]
    url = f"http://127.0.0.1:{port}"
    scratch = tmp_path / "tmp"  # the workers' temp folder: what they leave there after SIGTERM
    scratch.mkdir()
    with log.open("w") as out:
        proc = subprocess.Popen([str(bin_dir / "atelier"), "serve", "--port", str(port), "--db", str(db),
                                 "--workers", "2", "--demo-shop"], stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(scratch)})
    try:
        _wait_healthy(url, proc, log)
        deadline = time.monotonic() + WORKERS_START  # the second worker may still be loading its models
        while len(_answering_pids(log)) < 2 and time.monotonic() < deadline:
            with ThreadPoolExecutor(8) as pool:  # a new connection each: the kernel hands them to either worker
                list(pool.map(lambda _: httpx.get(f"{url}/healthz", timeout=30), range(16)))
        assert len(_answering_pids(log)) == 2, log.read_text()[-3000:]
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as client:
            answers = [client.post("/api/v1/recommend", json={"text": "a red dress", "k": 3}) for _ in range(4)]
            page = client.get("/shop").text
        text = log.read_text()
    finally:
        proc.terminate()
        proc.wait(60)
    assert all(a.status_code == 200 and a.json()["results"] for a in answers)
    assert not list(scratch.glob("atelier-looks-*"))  # each worker's stylist folder went with it on SIGTERM
    # Once a start, not once a worker: one catalog ingestion, one demo shop key in every worker's page
    assert text.count("Atelier: serving") == 1 and "with 2 workers" in text
    keys = subprocess.run([str(bin_dir / "atelier"), "keys", "list", "--db", str(db)], capture_output=True,
                          text=True, check=True).stdout
    live_shop_keys = [line for line in keys.splitlines() if "demo shop page" in line and " live " in line]
    assert len(live_shop_keys) == 1 and "atl_" in page


def test_a_worker_that_cannot_load_stops_the_server_with_its_reason(tmp_path):
    """A missing model fails every worker the same way: the server stops, non-zero, saying why, instead of starting
    the workers again and again (or waiting forever on one that could not exit)."""
    bin_dir = Path(sys.executable).parent
    try:
        run = subprocess.run([str(bin_dir / "atelier"), "serve", "--port", str(_free_port()), "--db",
                              str(tmp_path / "shop.db"), "--workers", "2"], capture_output=True, text=True,
                             timeout=WORKERS_START, env={**os.environ, "ATELIER_WEIGHTS_ATELIER_PARSER": "/missing"})
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"the server did not stop within {WORKERS_START} s:\n{(err.stderr or b'')[-3000:]!r}")
    assert run.returncode != 0
    assert "a worker could not load: ATELIER_WEIGHTS_ATELIER_PARSER" in run.stderr and "/missing" in run.stderr
    assert "atelier: error: a worker could not load" in run.stderr
    assert "died" not in run.stderr and "Traceback" not in run.stderr


def test_serve_runs_on_uvicorns_c_http_parser_and_uvloop_with_the_loaded_heap_frozen(service_engines, monkeypatch):
    """`atelier serve` leaves uvicorn's loop and HTTP protocol at "auto", which picks httptools and uvloop (project
    dependencies) over its pure-Python h11 parser and asyncio's loop: less time a request in the event loop. And it
    freezes what it loaded before serving (ui.server.settle)."""
    import uvicorn

    from ui import Engines, serve

    options: dict = {}
    monkeypatch.setattr(Engines, "load", lambda *_args, **_kwargs: service_engines)
    monkeypatch.setattr(service_engines, "close", lambda: None)  # the session's engines outlive this server
    monkeypatch.setattr("ui.server.one_blas_thread", lambda: None)  # ...and keep the session's BLAS threads
    monkeypatch.setattr("ui.server.log_requests", lambda: None)  # keeps the test session's log handlers as they are
    monkeypatch.setattr(uvicorn, "run", lambda app, **given: options.update(given))
    try:
        serve(port=0)
        # what was loaded is out of the collector's sight: a full collection no longer stalls requests for ~0.2 s
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()  # the rest of the test session collects as before
    config = uvicorn.Config(lambda scope, receive, send: None, **options)
    config.load()
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"
    loop = config.get_loop_factory()()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()


def test_the_server_runs_its_matrix_products_on_the_requests_own_threads():
    """OpenBLAS's pool spins between calls: in the serving process it doubled a recommendation's CPU."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from ui.server import one_blas_thread

    with threadpool_limits(limits=None):  # this test process's pools as they were, afterwards
        one_blas_thread()
        blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and set(blas) == {1}


def test_blocking_calls_leave_the_event_loop_free_and_see_the_callers_context():
    import asyncio
    import contextvars

    from ui.api.threads import REQUEST_THREADS, in_thread

    who = contextvars.ContextVar("who")

    def blocking(seconds: float) -> tuple[str, str]:
        time.sleep(seconds)
        return who.get(), threading.current_thread().name

    async def main() -> tuple[list[tuple[str, str]], float]:
        who.set("request 7")
        start = time.perf_counter()
        # as many sleepers as the pool has threads, at once: together they take one sleep, not N
        answers = await asyncio.gather(*(in_thread(blocking, 0.2) for _ in range(REQUEST_THREADS)))
        return answers, time.perf_counter() - start

    answers, seconds = asyncio.run(main())
    assert {context for context, _ in answers} == {"request 7"}
    assert all(name.startswith("atelier-request") for _, name in answers)
    assert seconds < 0.2 * 4


def test_try_ons_wait_on_threads_of_their_own_and_never_hold_up_a_light_request(live_url, service_engines,
                                                                                 widget_secret, monkeypatch):
    import base64

    from ui.api.threads import DRAWING_THREADS, REQUEST_THREADS

    release, drawing_on = threading.Event(), []

    def held_try_on(*args, **kwargs):  # as try-ons queued behind a long drawing
        drawing_on.append(threading.current_thread().name)
        release.wait(LIGHT_SECONDS)
        raise ValueError("released by the test")

    monkeypatch.setattr(service_engines, "try_on", held_try_on)
    headers = {"X-API-Key": widget_secret}
    photo = base64.b64encode(PERSON.read_bytes()).decode()
    body = {"person_image": photo, "garment_id": service_engines.garments[0].id}
    many = REQUEST_THREADS + 5  # more than there are request threads
    with ThreadPoolExecutor(many) as pool:
        try_ons = [pool.submit(httpx.post, f"{live_url}/api/v1/tryon", json=body, headers=headers,
                               timeout=2 * LIGHT_SECONDS) for _ in range(many)]
        deadline = time.monotonic() + LIGHT_SECONDS
        while len(drawing_on) < DRAWING_THREADS and time.monotonic() < deadline:
            time.sleep(0.05)
        light = httpx.post(f"{live_url}/api/v1/recommend", json={"text": "a red dress", "k": 3}, headers=headers,
                           timeout=LIGHT_SECONDS)
        release.set()
        statuses = {future.result().status_code for future in try_ons}
    assert light.status_code == 200 and light.json()["results"]
    assert statuses == {422}
    assert len(drawing_on) == many and all(name.startswith("atelier-drawing") for name in drawing_on)
