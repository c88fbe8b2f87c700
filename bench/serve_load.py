"""Light requests beside heavy ones: concurrent /recommend while try-ons run, on 1 and on 2 worker processes.

    python bench/serve_load.py [--workers 1 2] [--concurrency 50] [--rounds 2] [--label after]

For each worker count: a fresh store in a temporary folder, an admin key made first (``atelier keys create --rate
10000``, so the rate limit never answers), then ``atelier serve --port P --db TMP/shop.db --workers N`` as a
subprocess on loopback (``--workers`` left out for 1, so the script also measures a checkout without the option).
After one untimed try-on (the garment cut-outs are cached per photo), one untimed recommend and one untimed first
burst (the rounds below, once: a fresh server opens its database connections, its threadpool's threads and its
model runtimes' buffers for a batch of 50 in its first burst; reported apart as ``first_burst``), each round:

* two threads post ``/api/v1/tryon`` back to back (demo person, garments in turn) for the whole round, so two
  try-ons are always in flight or about to be;
* once both are in flight, N concurrent ``POST /api/v1/recommend`` (text, history and text+history bodies, as in
  ``bench/service_robustness.py``) are released together by a barrier.

Then the same rounds again with no try-on running, for what the recommends cost on their own. Reported per worker
count: the recommends' errors (any answer but a 200) and p50/p95/max latency, how many of them overlapped a try-on
in flight, and the try-ons' own count and latency. Runs under another ``--label`` (e.g. ``before``, measured on the
checkout before a change) are kept in the report beside this one. Writes bench/results/serve_load.{json,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from common import cpu_model, write_report
from service_robustness import API, REPO, REQUEST_TIMEOUT, Server, recommend_bodies, tryon_json

OUT = REPO / "bench" / "results" / "serve_load.json"
TARGET_P95_MS = 300  # issue 20: light requests stay under this while try-ons run


class TryOns:
    """Two threads posting try-ons back to back until stopped; each one's (start, end, status) is kept."""

    def __init__(self, server: Server, garments: list[str], threads: int = 2):
        self.server, self.garments, self.threads = server, garments, threads
        self.done: list[tuple[float, float, int | None]] = []
        self.in_flight = threading.Semaphore(0)  # released as each thread's first try-on is sent
        self.stop = threading.Event()

    def __enter__(self) -> TryOns:
        self.workers = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(self.threads)]
        for worker in self.workers:
            worker.start()
        for _ in self.workers:
            self.in_flight.acquire()
        time.sleep(0.2)  # the request is on its way: let the server read the body and start drawing
        return self

    def _loop(self, index: int) -> None:
        with self.server.client() as client:
            n = index
            while not self.stop.is_set():
                body = tryon_json(self.garments[n % len(self.garments)])
                start = time.perf_counter()
                if n == index:
                    self.in_flight.release()
                try:
                    status: int | None = client.post(f"{API}/tryon", json=body).status_code
                except httpx.HTTPError:
                    status = None
                self.done.append((start, time.perf_counter(), status))
                n += self.threads

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(REQUEST_TIMEOUT)


def one_round(server: Server, garments: list[str], n: int, seed: int, tryon_threads: int = 2) -> dict:
    bodies = recommend_bodies(n, seed)
    barrier = threading.Barrier(n)
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    with server.client(limits=limits) as client:

        def one(body: dict) -> tuple[int | None, float, float, str]:
            barrier.wait()
            start = time.perf_counter()
            try:
                response = client.post(f"{API}/recommend", json=body)
            except httpx.HTTPError as err:
                return None, start, time.perf_counter(), f"{type(err).__name__}: {err}"
            # A 200 with no results is an answer ("nothing left to recommend among coats"), not an error
            empty = response.status_code == 200 and not response.json()["results"]
            return response.status_code, start, time.perf_counter(), "empty" if empty else response.text[:200]

        with TryOns(server, garments, tryon_threads) as tryons, ThreadPoolExecutor(n) as pool:
            results = list(pool.map(one, bodies))
    ms = np.array([end - start for _, start, end, _ in results]) * 1e3
    spans = tryons.done
    overlapping = sum(any(s < end and start < e for s, e, _ in spans) for _, start, end, _ in results)
    tryon_s = [e - s for s, e, status in spans if status == 200]
    errors = [f"{status}: {message}" for status, _, _, message in results if status != 200]
    return {"requests": n, "errors": len(errors), "error_samples": errors[:5],
            "empty_answers": sum(message == "empty" for _, _, _, message in results),
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "max_ms": round(float(ms.max()), 1), "overlapping_a_tryon": int(overlapping),
            "tryons": len(spans), "tryon_errors": sum(status != 200 for _, _, status in spans),
            "tryon_p50_s": round(float(np.median(tryon_s)), 2) if tryon_s else None}


def run_workers(folder: Path, workers: int, n: int, rounds: int) -> dict:
    loadavg = [round(x, 2) for x in os.getloadavg()]
    server = Server(folder, workers)
    try:
        with server.client() as client:
            start_s = server.wait_healthy(client)
        server.wait_workers(workers)  # the first worker answers while the next ones still load
        with server.client() as client:
            # Untimed: each garment photo's cut-out is made once, then cached; garments the demo person cannot
            # wear (a 422 naming what would work) are left out.
            garments = [g["id"] for g in client.get(f"{API}/garments").json()
                        if client.post(f"{API}/tryon", json=tryon_json(g["id"])).status_code == 200][:4]
            client.post(f"{API}/recommend", json=recommend_bodies(1, 0)[0]).raise_for_status()
        first = one_round(server, garments, n, seed=rounds)  # a seed the timed rounds do not use
        results = [one_round(server, garments, n, seed) for seed in range(rounds)]
        # The same rounds with no try-on running: what the recommends cost on their own on this machine
        alone = [one_round(server, garments, n, seed, tryon_threads=0) for seed in range(rounds)]
        tracebacks = server.log_text().count("Traceback (most recent call last)")
    finally:
        server.stop()
    for r in [first] + results + alone:
        print(json.dumps(r), file=sys.stderr)
    return {"workers": workers, "loadavg_start": loadavg, "start_to_healthz_s": round(start_s, 1),
            "server_tracebacks": tracebacks, **summary(results), "alone": summary(alone), "first_burst": first}


def summary(rounds: list[dict]) -> dict:
    """The rounds, their errors, the median of their p50s and the worst of their p95s."""
    return {"rounds": rounds, "errors": sum(r["errors"] for r in rounds),
            "p50_ms": round(float(np.median([r["p50_ms"] for r in rounds])), 1),
            "p95_ms": max(r["p95_ms"] for r in rounds)}


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = ["# Light requests beside try-ons: concurrent /recommend on 1 and 2 workers", "",
             f"{m['cpu']} ({m['arch']}) · {m['cpu_count']} cores · no GPU · Python {m['python']}", "",
             "The real server (`atelier serve --workers N`, a fresh store, a subprocess) driven from this process "
             f"over loopback: rounds of {report['concurrency']} concurrent `POST /api/v1/recommend` released "
             "together while two try-ons run back to back. p95 is the worst round's; p50 the rounds' median. "
             f"Target: 0 errors and p95 ≤ {TARGET_P95_MS} ms. The first burst a fresh server sees (the same, "
             "untimed in the rounds) is in its own column. See the script's docstring for the method.", "",
             "| code | workers | date | load average at start | errors | p50 ms | p95 ms | max ms "
             "| recommends overlapping a try-on | try-ons (errors) | try-on p50 s | server tracebacks "
             "| first burst p50 / p95 ms |",
             "|---|---:|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|"]
    for run in report["runs"]:
        rounds = run["rounds"]
        lines.append(
            f"| {run['label']} | {run['workers']} | {run['date']} | {run['loadavg_start']} | {run['errors']} "
            f"| {run['p50_ms']} | {run['p95_ms']} | {max(r['max_ms'] for r in rounds)} "
            f"| {sum(r['overlapping_a_tryon'] for r in rounds)}/{sum(r['requests'] for r in rounds)} "
            f"| {sum(r['tryons'] for r in rounds)} ({sum(r['tryon_errors'] for r in rounds)}) "
            f"| {rounds[0]['tryon_p50_s']} | {run['server_tracebacks']} | {_first(run)} |")
    lines += ["", "The same rounds with no try-on running (what the recommends cost on their own here):", "",
              "| code | workers | errors | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
    for run in report["runs"]:
        if "alone" in run:
            alone = run["alone"]
            lines.append(f"| {run['label']} | {run['workers']} | {alone['errors']} | {alone['p50_ms']} "
                         f"| {alone['p95_ms']} | {max(r['max_ms'] for r in alone['rounds'])} |")
    return "\n".join(lines + [""] + report.get("notes", [])) + "\n"


def _first(run: dict) -> str:
    first = run.get("first_burst")  # runs measured before it was reported have none
    return f"{first['p50_ms']} / {first['p95_ms']}" if first else "not measured"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--label", default="after", help="names the checkout measured (kept beside other labels)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    old = json.loads(args.out.read_text()) if args.out.exists() else {}
    root = Path(tempfile.mkdtemp(prefix="atelier-serve-load-"))
    runs = []
    try:
        for workers in args.workers:
            date = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            run = run_workers(root / f"w{workers}", workers, args.concurrency, args.rounds)
            runs.append({"label": args.label, "date": date, **run})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    replaced = {(r["label"], r["workers"]) for r in runs}
    kept = [r for r in old.get("runs", []) if (r["label"], r["workers"]) not in replaced]
    report = {"machine": {"platform": platform.platform(), "arch": platform.machine(), "cpu": cpu_model(),
                          "cpu_count": os.cpu_count(), "python": platform.python_version()},
              "concurrency": args.concurrency, "target_p95_ms": TARGET_P95_MS,
              "runs": sorted(kept + runs, key=lambda r: (r["label"] != "before", r["workers"])),
              "notes": old.get("notes", [])}
    write_report(args.out, report, markdown(report))


if __name__ == "__main__":
    main()
