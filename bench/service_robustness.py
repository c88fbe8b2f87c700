"""The real server under abuse: cold start, malformed uploads and concurrent recommendations, from outside.

    OMP_NUM_THREADS=2 python bench/service_robustness.py [--cold-starts 3] [--cold-starts-2-workers 2]
        [--concurrency 50] [--rounds 2]

Each cold start is a fresh store in a temporary folder: ``atelier keys create --scope admin --db TMP/shop.db``,
then ``atelier serve --port P --db TMP/shop.db`` as a subprocess, timed from the process start to the first
``/healthz`` 200 and to the first successful ``POST /api/v1/tryon`` (demo person 00034_00.jpg, the first garment of
``/api/v1/garments``, base64 JSON); then the same with ``--workers 2``, also timed until both workers are up. The
last one-worker server stays up for the rest, all on loopback:

* 100 malformed uploads, sent one after the other: 20 kinds of bad photo (empty, truncated JPEG and PNG, text, PDF,
  HTML, SVG, ZIP, GIF and WebP headers over junk, random bytes, decompression bombs, 21 MB and 50 MB bodies) to
  each of 5 targets (``/tryon`` multipart and base64 JSON, ``/restyle`` multipart and JSON, ``/search/image``).
  Every answer must be a 4xx, and the server must still answer ``/healthz`` afterwards.
* rounds of N concurrent ``POST /api/v1/recommend`` (text, history and text+history bodies) from this process
  (threads, one shared HTTP client), released together by a barrier: errors, p50/p95/max latency, and the
  server's RSS before and after each round and its peak during it (sampled every 20 ms).

The server's log is scanned for tracebacks. Writes bench/results/service_robustness.{json,md}.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import os
import platform
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import psutil
from common import cpu_model, write_report
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEMO = REPO / "ui" / "demo_catalog"
PERSON = DEMO / "tryon" / "people" / "00034_00.jpg"
API = "/api/v1"
START_TIMEOUT = 180  # seconds for a server to answer /healthz
BUSY_LOAD = 1.5  # 1-min load average (2 cores) above which other work is likely to slow the cold starts
# Lines of the server's log that mark its start-up steps: the engines loaded, then uvicorn up (app built).
MILESTONES = {"engines_loaded_s": "Atelier: serving", "uvicorn_up_s": "Uvicorn running on"}
REQUEST_TIMEOUT = 120
WORKER_UP = "Application startup complete."  # uvicorn's line, once a worker
MB = 2**20
TEXTS = ["a red dress for a wedding, not black", "something casual for the weekend", "black leather jacket",
         "blue jeans and a white shirt", "a summer dress with flowers", "sports shoes for running",
         "formal shirt for the office", "a warm winter coat"]


# --- the server --------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``atelier serve [--workers N]`` on a fresh store in ``folder``, with an admin key made before it starts."""

    def __init__(self, folder: Path, workers: int = 1):
        self.folder, self.db, self.port = folder, folder / "shop.db", free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        start = time.perf_counter()
        made = subprocess.run([str(BIN / "atelier"), "keys", "create", "--name", "bench", "--scope", "admin",
                               "--rate", "10000", "--db", str(self.db)],
                              capture_output=True, text=True, check=True, cwd=REPO)
        self.key_create_s = time.perf_counter() - start
        self.key = made.stdout.strip().splitlines()[-1]
        self.log_path = folder / "server.log"
        self.log = self.log_path.open("w")
        self.started = time.perf_counter()
        command = [str(BIN / "atelier"), "serve", "--port", str(self.port), "--db", str(self.db)]
        self.proc = subprocess.Popen(command + (["--workers", str(workers)] if workers > 1 else []),
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.ps = psutil.Process(self.proc.pid)
        self.milestones: dict[str, float] = {}

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": self.key}, timeout=REQUEST_TIMEOUT, **kwargs)

    def wait_healthy(self, client: httpx.Client) -> float:
        """Seconds from the process start to the first /healthz 200."""
        while time.perf_counter() - self.started < START_TIMEOUT:
            log = self.log_path.read_text(errors="replace")
            for name, marker in MILESTONES.items():
                if name not in self.milestones and marker in log:  # seen within one 50 ms poll
                    self.milestones[name] = round(time.perf_counter() - self.started, 2)
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if client.get("/healthz", timeout=2).status_code == 200:
                    return time.perf_counter() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"no /healthz 200 within {START_TIMEOUT} s: {self.log_tail()}")

    def wait_workers(self, workers: int) -> float:
        """Seconds from the process start until each of ``workers`` has logged uvicorn's start-up line."""
        while self.log_text().count(WORKER_UP) < workers:
            if time.perf_counter() - self.started > START_TIMEOUT:
                raise RuntimeError(f"not all {workers} workers started within {START_TIMEOUT} s: {self.log_tail()}")
            time.sleep(0.05)
        return time.perf_counter() - self.started

    def rss_mb(self) -> float:
        """The server's resident memory, its drawing process's (and a worker's) included."""
        processes = [self.ps, *self.ps.children(recursive=True)]
        return round(sum(p.memory_info().rss for p in processes) / MB, 1)

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def server_errors(log: str) -> int:
    """Request lines of the server's log answered 500 ("atelier.access: POST /api/v1/tryon 500 12 ms ..."): the
    status field only, not a request that happened to take 500 ms."""
    return len(re.findall(r"atelier\.access: \S+ \S+ 500 ", log))


def tryon_json(garment_id: str) -> dict:
    return {"person_image": base64.b64encode(PERSON.read_bytes()).decode(), "garment_id": garment_id}


def cold_start(folder: Path, workers: int = 1) -> tuple[dict, Server]:
    server = Server(folder, workers)
    with server.client() as client:
        healthz_s = server.wait_healthy(client)
        garments = client.get(f"{API}/garments").json()
        start = time.perf_counter()
        # The demo person cannot wear every garment: a refusal (422, naming what would work) is an answer, not a
        # try-on, so the garments are tried in order until one is drawn, and the refusals before it are counted.
        refused = []
        for garment in garments:
            response = client.post(f"{API}/tryon", json=tryon_json(garment["id"]))
            if response.status_code == 200:
                break
            if response.status_code != 422:
                raise RuntimeError(f"try-on answered {response.status_code}: {response.text[:500]}")
            refused.append(garment["id"])
        else:
            raise RuntimeError(f"the demo person can wear none of the {len(garments)} demo garments")
        done = time.perf_counter()
    result = {"key_create_s": round(server.key_create_s, 2), **server.milestones, "to_healthz_s": round(healthz_s, 2),
              "to_first_tryon_s": round(done - server.started, 2), "first_tryon_request_s": round(done - start, 2),
              "garment_id": garment["id"], "refused_before": refused, "rss_after_first_tryon_mb": server.rss_mb()}
    if workers > 1:  # the first worker serves while the next ones load, one at a time
        result["to_all_workers_s"] = round(server.wait_workers(workers), 2)
        result["rss_all_workers_mb"] = server.rss_mb()
    return result, server


def startup_breakdown(folder: str) -> dict:
    """Where a cold start goes, step by step in one fresh process (what ``atelier serve`` does, then two try-ons)."""
    start = last = time.perf_counter()
    steps: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        steps[name] = round(now - last, 2)
        last = now

    import torch  # noqa: F401  (timed on its own: the largest import)

    lap("import torch")
    import recsys  # noqa: F401

    lap("import recsys (sklearn, ...)")
    import gradio  # noqa: F401

    lap("import gradio")
    from recsys import Store, create_encoder, garment_classifier, read_products
    from tryon import TryOnError, load_parser, load_tryon, read_wearables
    from ui import DEMO_CATALOG, Engines, create_app
    from ui.drawing import Drawing
    from ui.served_store import items_frame

    lap("import ui (fastapi, tryon, style)")
    products, garments = read_products(DEMO_CATALOG), read_wearables(DEMO_CATALOG)
    store = Store(str(Path(folder) / "shop.db"))
    store.ingest(items=items_frame(products), image_dir=DEMO_CATALOG)
    lap("read the catalog, store ingest")
    encoder = create_encoder()
    lap("create_encoder")
    parser = load_parser()
    lap("load_parser")
    pipeline = load_tryon(parser=parser, classifier=garment_classifier(encoder))
    lap("load_tryon")
    engines = Engines(encoder, store, parser, Drawing(Path(folder), pipeline), garments, Path(folder))
    lap("Engines (recommender and search catalog from the store)")
    create_app(engines)
    lap("create_app (FastAPI + Gradio)")
    for garment in garments:  # the first the demo person can wear, as in cold_start (refusals are quick)
        try:
            engines.try_on(PERSON.read_bytes(), garment.id)
            break
        except TryOnError:
            continue
    lap("first try_on (refusals before it included)")
    engines.try_on(PERSON.read_bytes(), garment.id)
    lap("second try_on")
    return {"steps_s": steps, "total_s": round(time.perf_counter() - start, 2)}


def run_breakdown(folder: Path) -> dict:
    folder.mkdir(parents=True)
    done = subprocess.run([sys.executable, __file__, "--breakdown", str(folder)], capture_output=True, text=True,
                          cwd=REPO, timeout=START_TIMEOUT)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- malformed uploads -------------------------------------------------------------------------------------
def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size over a token of data: refused before any pixel is decoded, or it is a bug."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(
        b"IEND", b"")


def png_black(width: int, height: int) -> bytes:
    """A complete, valid black RGB PNG: a real decompression bomb (a few hundred KB inflating to width*height*3)."""
    compressor, row, parts = zlib.compressobj(9), b"\0" * (width * 3 + 1), []
    block = row * 256
    for start in range(0, height, 256):
        parts.append(compressor.compress(block if start + 256 <= height else row * (height - start)))
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def bad_uploads() -> dict[str, bytes]:
    """20 kinds of upload that are not a usable photo."""
    jpeg = PERSON.read_bytes()
    buffer = io.BytesIO()
    Image.open(PERSON).save(buffer, "PNG")
    png = buffer.getvalue()
    rng = np.random.default_rng(0)
    junk = bytes(rng.integers(0, 256, 2000, dtype=np.uint8))
    return {
        "zero-byte": b"",
        "one byte": b"\xff",
        "truncated JPEG (10%)": jpeg[: len(jpeg) // 10],
        "truncated JPEG (60%)": jpeg[: len(jpeg) * 6 // 10],
        "truncated PNG (50%)": png[: len(png) // 2],
        "JPEG markers only": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
        "text": b"this is not a photo, just some text\n" * 20,
        "JSON text": json.dumps({"image": "nope"}).encode(),
        "PDF header": b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        "HTML": b"<!doctype html><html><body><script>alert(1)</script></body></html>",
        "SVG": b'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640"/></svg>',
        "ZIP header": b"PK\x03\x04" + junk,
        "GIF header over junk": b"GIF89a\x80\x02\xe0\x01\xf7\x00\x00" + junk,
        "WebP header over junk": b"RIFF\x00\x10\x00\x00WEBPVP8 " + junk,
        "random bytes (100 KB)": bytes(rng.integers(0, 256, 100_000, dtype=np.uint8)),
        "bomb: PNG header 30000x30000": png_header(30_000, 30_000),
        "bomb: PNG header 65535x65535": png_header(65_535, 65_535),
        "bomb: valid black PNG 8000x8000": png_black(8_000, 8_000),
        "21 MB (over the 20 MB photo limit)": b"\xff\xd8\xff\xe0" + b"\0" * (21 * MB),
        "50 MB body": b"\xff\xd8\xff\xe0" + b"\0" * (50 * MB),
    }


def send_bad(client: httpx.Client, target: str, data: bytes, garment_id: str) -> httpx.Response:
    """``data`` as the photo of one of the five targets."""
    if target == "tryon multipart":
        return client.post(f"{API}/tryon", files={"person_image": ("photo.jpg", data, "image/jpeg")},
                           data={"garment_id": garment_id})
    if target == "tryon JSON":
        return client.post(f"{API}/tryon", json={"person_image": base64.b64encode(data).decode(),
                                                 "garment_id": garment_id})
    if target == "restyle multipart":
        return client.post(f"{API}/restyle", files={"image": ("photo.jpg", data, "image/jpeg")},
                           data={"style": "vintage"})
    if target == "restyle JSON":
        return client.post(f"{API}/restyle", json={"image": base64.b64encode(data).decode(), "style": "vintage"})
    if target == "search/image multipart":
        return client.post(f"{API}/search/image", files={"image": ("photo.jpg", data, "image/jpeg")})
    raise ValueError(target)


TARGETS = ["tryon multipart", "tryon JSON", "restyle multipart", "restyle JSON", "search/image multipart"]


def malformed(server: Server, garment_id: str) -> dict:
    uploads = bad_uploads()
    rows, classes = [], Counter()
    rss_before = server.rss_mb()
    with server.client() as client:
        for kind, data in uploads.items():
            for target in TARGETS:
                start = time.perf_counter()
                try:
                    response = send_bad(client, target, data, garment_id)
                    status, detail = response.status_code, response.text[:160]
                except httpx.HTTPError as err:
                    status, detail = None, f"{type(err).__name__}: {err}"
                seconds = time.perf_counter() - start
                classes[f"{status // 100}xx" if status else "no answer"] += 1
                rows.append({"kind": kind, "bytes": len(data), "target": target, "status": status,
                             "seconds": round(seconds, 3), "detail": detail})
            rss = server.rss_mb() if server.alive() else None
            for row in rows[-len(TARGETS):]:
                row["rss_after_kind_mb"] = rss  # the server's RSS after this kind's five requests
        healthz = client.get("/healthz").status_code if server.alive() else None
    return {"requests": len(rows), "status_classes": dict(classes), "all_4xx": classes.get("4xx", 0) == len(rows),
            "healthz_after": healthz, "server_alive": server.alive(), "rss_before_mb": rss_before,
            "rss_after_mb": server.rss_mb() if server.alive() else None, "requests_detail": rows}


# --- concurrent recommendations ----------------------------------------------------------------------------
class RssSampler:
    """The server's peak RSS while a block runs, sampled every 20 ms."""

    def __init__(self, server: Server):
        self.server, self.peak, self.stop = server, 0.0, threading.Event()

    def __enter__(self) -> RssSampler:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, self.server.rss_mb())
            time.sleep(0.02)

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def recommend_bodies(n: int, seed: int) -> list[dict]:
    ids = [p["id"] for p in json.loads((DEMO / "products.json").read_text())]
    rng = random.Random(seed)
    bodies = []
    for i in range(n):
        history = rng.sample(ids, rng.randint(1, 5))
        bodies.append([{"text": rng.choice(TEXTS), "k": 10}, {"history": history, "k": 10},
                       {"text": rng.choice(TEXTS), "history": history, "k": 5}][i % 3])
    return bodies


def concurrent_round(server: Server, n: int, seed: int) -> dict:
    bodies = recommend_bodies(n, seed)
    barrier = threading.Barrier(n)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    with server.client(limits=limits) as client:

        def one(body: dict) -> tuple[int | None, float, str]:
            barrier.wait()
            start = time.perf_counter()
            try:
                response = client.post(f"{API}/recommend", json=body)
                # A 200 with no results ("nothing left to recommend among coats": the history holds every coat) is
                # an answer, counted apart; an error is anything but a 200 (as bench/serve_load.py counts them)
                if response.status_code == 200:
                    return 200, time.perf_counter() - start, "empty" if not response.json()["results"] else ""
                return response.status_code, time.perf_counter() - start, response.text[:200]
            except httpx.HTTPError as err:
                return None, time.perf_counter() - start, f"{type(err).__name__}: {err}"

        rss_before = server.rss_mb()
        wall = time.perf_counter()
        with RssSampler(server) as sampler, ThreadPoolExecutor(n) as pool:
            results = list(pool.map(one, bodies))
        wall = time.perf_counter() - wall
    ms = np.array([seconds for _, seconds, _ in results]) * 1e3
    errors = [f"{status}: {message}" for status, _, message in results if status != 200]
    return {"requests": n, "errors": len(errors), "error_samples": errors[:5],
            "empty_answers": sum(message == "empty" for _, _, message in results),
            "status_codes": dict(Counter(str(status) for status, _, _ in results)),
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "max_ms": round(float(ms.max()), 1), "wall_s": round(wall, 2), "rss_before_mb": rss_before,
            "rss_peak_mb": round(sampler.peak, 1), "rss_after_mb": server.rss_mb()}


# --- the report --------------------------------------------------------------------------------------------
def markdown(report: dict) -> str:
    m, bad = report["machine"], report["malformed_uploads"]
    lines = [
        "# Service robustness: cold start, malformed uploads, concurrent recommendations", "",
        f"{report['date']} · {m['cpu']} ({m['arch']}) · {m['cpu_count']} cores · no GPU · {m['ram_gb']} GB RAM · "
        f"OMP_NUM_THREADS={m['omp_num_threads']} · load average at start {m['loadavg_start']}", "",
        "The real server (`atelier serve --db TMP/shop.db` on a fresh store, a subprocess), driven from this "
        "process over loopback. See the script's docstring for the method.", "",
        "## Cold start", "",
        "Seconds from the `atelier serve` process start (fresh store each run; the admin key made before, not "
        "counted). *engines loaded*: its log line after `Engines.load`; *uvicorn up*: after `create_app`.", "",
        "| run | key create s | → engines loaded s | → uvicorn up s | → /healthz 200 s | → first try-on 200 s "
        "| first try-on request s | server RSS after MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    if report["warning"]:
        lines[2:2] = [f"**Warning: {report['warning']}.**", ""]
    for i, c in enumerate(report["cold_starts"], 1):
        lines.append(f"| {i} | {c['key_create_s']} | {c.get('engines_loaded_s', '')} | {c.get('uvicorn_up_s', '')} "
                     f"| {c['to_healthz_s']} | {c['to_first_tryon_s']} | {c['first_tryon_request_s']} "
                     f"| {c['rss_after_first_tryon_mb']:,.0f} |")
    two = report.get("cold_starts_2_workers", [])
    if two:
        lines += ["", "With `--workers 2` (the supervisor prepares the store with no model; the workers load one at "
                  "a time, and one loading while the other serves imports at a drawing's priority, nice 10):", "",
                  "| run | → /healthz 200 s | → first try-on 200 s | → both workers up s | RSS after first try-on MB "
                  "| RSS both up MB |", "|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {i} | {c['to_healthz_s']} | {c['to_first_tryon_s']} | {c['to_all_workers_s']} "
                  f"| {c['rss_after_first_tryon_mb']:,.0f} | {c['rss_all_workers_mb']:,.0f} |"
                  for i, c in enumerate(two, 1)]
    worst = max(c["to_first_tryon_s"] for c in report["cold_starts"] + two)
    lines += ["", f"Target ≤ 10 s to the first try-on: **{'met' if report['cold_start_met'] else 'missed'}** "
              f"(worst {worst} s, 1 or 2 workers). The first try-on is the first "
              f"garment the demo person can wear ({report['cold_starts'][0]['garment_id']}); the ones refused before "
              f"it (422, in the time): {', '.join(report['cold_starts'][0]['refused_before']) or 'none'}.", ""]
    steps = report["startup_breakdown"].get("steps_s")
    if steps:
        lines += ["Where it goes, step by step in one more fresh process (total "
                  f"{report['startup_breakdown']['total_s']} s):", "", "| step | s |", "|---|---:|"]
        lines += [f"| {name} | {seconds} |" for name, seconds in steps.items()] + [""]
    lines += [f"## {bad['requests']} malformed uploads", "",
              f"Status classes: {', '.join(f'{k} {v}' for k, v in sorted(bad['status_classes'].items()))} · "
              f"all 4xx: **{'yes' if bad['all_4xx'] else 'NO'}** · /healthz afterwards: {bad['healthz_after']} · "
              f"server RSS {bad['rss_before_mb']:,.0f} → {bad['rss_after_mb'] or 0:,.0f} MB", "",
              "| upload | bytes | " + " | ".join(TARGETS) + " | slowest s | server RSS after MB |",
              "|---|---:|" + "---|" * len(TARGETS) + "---:|---:|"]
    by_kind: dict[str, list[dict]] = {}
    for row in bad["requests_detail"]:
        by_kind.setdefault(row["kind"], []).append(row)
    for kind, rows in by_kind.items():
        codes = {r["target"]: str(r["status"]) for r in rows}
        lines.append(f"| {kind} | {rows[0]['bytes']:,} | " + " | ".join(codes.get(t, "") for t in TARGETS)
                     + f" | {max(r['seconds'] for r in rows)} | {rows[-1]['rss_after_kind_mb'] or 0:,.0f} |")
    lines += ["", "## Concurrent POST /api/v1/recommend", "",
              "| round | requests | errors | empty answers | p50 ms | p95 ms | max ms | wall s "
              "| server RSS before → peak → after MB |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for i, r in enumerate(report["concurrency"], 1):
        lines.append(f"| {i} | {r['requests']} | {r['errors']} | {r['empty_answers']} | {r['p50_ms']} "
                     f"| {r['p95_ms']} | {r['max_ms']} "
                     f"| {r['wall_s']} | {r['rss_before_mb']:,.0f} → {r['rss_peak_mb']:,.0f} → "
                     f"{r['rss_after_mb']:,.0f} |")
    log = report["server_log"]
    lines += ["", f"Server log: {log['tracebacks']} tracebacks, {log['status_500_lines']} lines with a 500; "
              f"server peak RSS (VmHWM) {report['server_peak_rss_mb']:,.0f} MB; alive at the end: "
              f"{report['server_alive_at_end']}."]
    if report["failures"]:
        lines += ["", "**Failures:**", ""] + [f"- {f}" for f in report["failures"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold-starts", type=int, default=3)
    parser.add_argument("--cold-starts-2-workers", type=int, default=2, help="cold starts of `--workers 2`")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "service_robustness.json")
    parser.add_argument("--breakdown", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.breakdown:
        print(json.dumps(startup_breakdown(args.breakdown)))
        return
    loadavg_start = [round(x, 2) for x in os.getloadavg()]
    busy = (f"machine busy at start (1-min load average {loadavg_start[0]} on {os.cpu_count()} cores): start-up "
            "times are pessimistic" if loadavg_start[0] >= BUSY_LOAD else None)
    root = Path(tempfile.mkdtemp(prefix="atelier-robustness-"))
    colds, colds_2, server = [], [], None
    try:
        for i in range(args.cold_starts):
            if server is not None:
                server.stop()
            result, server = cold_start(root / f"run{i}")
            colds.append(result)
            print(json.dumps(result), file=sys.stderr)
        for i in range(args.cold_starts_2_workers):
            result, two = cold_start(root / f"workers2-run{i}", workers=2)
            two.stop()
            colds_2.append(result)
            print(json.dumps(result), file=sys.stderr)
        bad = malformed(server, colds[-1]["garment_id"])
        print(json.dumps({k: v for k, v in bad.items() if k != "requests_detail"}), file=sys.stderr)
        rounds = []
        for i in range(args.rounds):
            if not server.alive():
                break
            rounds.append(concurrent_round(server, args.concurrency, seed=i))
            print(json.dumps(rounds[-1]), file=sys.stderr)
        log = server.log_text()
        alive, peak = server.alive(), server.peak_rss_mb() if server.alive() else None
    finally:
        if server is not None:
            server.stop()
    breakdown = run_breakdown(root / "breakdown")
    print(json.dumps(breakdown), file=sys.stderr)
    failures = []
    if not bad["all_4xx"]:
        failures += [f"{r['kind']} → {r['target']}: {r['status']} {r['detail']}" for r in bad["requests_detail"]
                     if not (r["status"] and 400 <= r["status"] < 500)]
    if bad["healthz_after"] != 200:
        failures.append(f"/healthz after the malformed uploads: {bad['healthz_after']}")
    failures += [f"round {i}: {r['errors']} errors, e.g. {r['error_samples'][:2]}" for i, r in enumerate(rounds, 1)
                 if r["errors"]]
    tracebacks = log.count("Traceback (most recent call last)")
    if tracebacks:
        failures.append(f"{tracebacks} tracebacks in the server log (kept in the JSON report)")
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "arch": platform.machine(), "cpu": cpu_model(),
                    "cpu_count": os.cpu_count(), "gpu": None,
                    "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "python": platform.python_version(), "httpx": httpx.__version__,
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"), "loadavg_start": loadavg_start,
                    "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "warning": busy, "cold_starts": colds, "cold_starts_2_workers": colds_2,
        "cold_start_met": all(c["to_first_tryon_s"] <= 10 for c in colds + colds_2),
        "startup_breakdown": breakdown,
        "malformed_uploads": bad, "concurrency": rounds, "server_peak_rss_mb": peak, "server_alive_at_end": alive,
        "server_log": {"tracebacks": tracebacks, "status_500_lines": server_errors(log),
                       "traceback_excerpts": [part[:3000] for part in log.split("Traceback")[1:4]]},
        "failures": failures,
    }
    write_report(args.out, report, markdown(report))
    shutil.rmtree(root, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
