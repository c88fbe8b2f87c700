"""Recommender latency and memory at catalog scale: p50/p95 of one ``recommend`` at 10k, 100k and 1M items.

    OMP_NUM_THREADS=1 python bench/recommender_scale.py [--sizes 10000 100000 1000000] [--requests 300]

Synthetic shop per size, seeded: 256-d unit embeddings in 32 styles × √n sub-clusters (cosine ~0.5 within a
sub-cluster, ~0.25 within a style, ~0 across); 30% of items carry a smoothed sentiment that leans with a random
direction of the embedding space; 50k shoppers, ~20 rentals each over 2024, 80% inside their own style, item
popularity Zipf-like (weight 1/rank^0.8). The Recommender is fitted on all of it with its default config.

One request = ``recommend(history, k=10, times, as_of)`` for a shopper's last 10 rentals, as recommend-batch calls
it. "served" is the recommender as shipped: every item scored below ``LARGE_CATALOG``, a candidate pool from
``recsys.index`` above. "dense" forces every item to be scored on the same fitted model, for comparison. Each size
runs in its own process, so the peak RSS (ru_maxrss) is per size. ``--large-catalog N`` and ``--exact-below N`` move the
thresholds for a threshold study. Writes the JSON and a markdown table beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from common import cpu_model, write_report

import recsys.index as index_module
import recsys.recommender as recommender_module
from recsys.index import EXACT_BELOW, VectorIndex
from recsys.recommender import LARGE_CATALOG, ItemSignals, Recommender

REPO = Path(__file__).resolve().parents[1]
DIM, STYLES, USERS, RENTALS_PER_USER = 256, 32, 50_000, 20
DENSE_REQUESTS_AT_1M = 50  # scoring a million items per request takes ~0.5 s: fewer requests say enough
BUSY_LOAD = 0.5  # 1-min load average above which other work is likely to skew the timings


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=-1, keepdims=True)).astype(np.float32)


def synthetic_catalog(n: int, rng: np.random.Generator) -> tuple[ItemSignals, np.ndarray]:
    """Items with clustered unit embeddings and sparse sentiment, and the style of each item."""
    clusters = max(STYLES, int(np.sqrt(n)))
    style_of_cluster = rng.integers(0, STYLES, clusters)
    style_centres = unit(rng.normal(size=(STYLES, DIM)))
    centres = unit(style_centres[style_of_cluster] + unit(rng.normal(size=(clusters, DIM))))
    cluster = rng.integers(0, clusters, n)
    embeddings = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):  # in chunks: the float64 noise for 1M rows alone would be 2 GB
        stop = min(n, start + 100_000)
        noise = unit(rng.normal(size=(stop - start, DIM)))
        embeddings[start:stop] = unit(centres[cluster[start:stop]] + 0.9 * noise)
    counts = np.where(rng.random(n) < 0.3, 1 + rng.poisson(8, n), 0)
    taste = unit(rng.normal(size=DIM))
    leaning = np.tanh(3 * embeddings @ taste + 0.3 * rng.normal(size=n))
    sentiment = np.where(counts > 0, leaning * counts / (counts + 5), np.nan)  # shrunk towards 0 with few comments
    ids = [f"item{i}" for i in range(n)]
    return ItemSignals(ids, embeddings, sentiment, counts), style_of_cluster[cluster]


def synthetic_interactions(style: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """~20 rentals per shopper over 2024: 80% from the shopper's own style, Zipf-like item popularity."""
    n = len(style)
    weight = 1.0 / (rng.permutation(n) + 1.0) ** 0.8
    order = np.argsort(style, kind="stable")  # items grouped by style, so a style is one range of the cumsum
    cumulative = np.cumsum(weight[order])
    bounds = np.searchsorted(style[order], np.arange(STYLES + 1))
    rentals = rng.geometric(1 / RENTALS_PER_USER, USERS)
    user = np.repeat(np.arange(USERS), rentals)
    own = rng.integers(0, STYLES, USERS)[user]
    low = np.concatenate([[0.0], cumulative])[bounds[own]]
    high = cumulative[bounds[own + 1] - 1]
    draw = np.where(rng.random(len(user)) < 0.8, rng.uniform(low, high), rng.uniform(0, cumulative[-1], len(user)))
    item = order[np.minimum(np.searchsorted(cumulative, draw), n - 1)]
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 365 * 86400, len(user)), unit="s")
    return pd.DataFrame({"user_id": [f"u{u}" for u in user], "item_id": [f"item{i}" for i in item], "ts": ts})


def request_histories(frame: pd.DataFrame, count: int, rng: np.random.Generator) -> list[tuple[list, list]]:
    """The last 10 rentals (ids, dates) of ``count`` shoppers who have at least 10."""
    frame = frame.sort_values("ts", kind="stable")
    sizes = frame["user_id"].value_counts()
    chosen = rng.choice(sizes.index[sizes >= 10].to_numpy(), count, replace=False)
    last = frame[frame["user_id"].isin(set(chosen))].groupby("user_id", sort=False).tail(10)
    return [(g["item_id"].tolist(), g["ts"].tolist()) for _, g in last.groupby("user_id", sort=False)]


def latencies(model: Recommender, histories: list[tuple[list, list]]) -> dict[str, float]:
    for items, times in histories[:10]:  # warm-up: first-call allocations and caches
        model.recommend(items, 10, times, as_of=max(times) + pd.Timedelta(days=1))
    seconds = []
    for items, times in histories[10:]:
        start = time.perf_counter()
        recs = model.recommend(items, 10, times, as_of=max(times) + pd.Timedelta(days=1))
        seconds.append(time.perf_counter() - start)
        if len(recs) != 10:
            raise RuntimeError(f"{len(recs)} recommendations for a history of {len(items)}")
    ms = np.array(seconds) * 1e3
    return {"requests": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2), "max_ms": round(float(ms.max()), 2)}


def index_recall(model: Recommender, histories: list[tuple[list, list]]) -> dict[str, float] | None:
    """Share of the exact top-``candidates`` items (brute force) that the indexes put forward, on the requests'
    own queries: the content profile and the ALS user factor. Items tied with the exact n-th score count as
    found (most items have all-zero ALS factors, so a shopper's exact top-100 often ends in arbitrary ties)."""
    if not model.large_:
        return None
    n, found = model.config_.candidates, {"content": [], "als": []}
    for items, times in histories[:50]:
        idx = np.array([model.index_[i] for i in items])
        row = sp.csr_matrix((np.ones(len(idx), np.float32), (np.zeros(len(idx), int), idx)), (1, len(model.index_)))
        profile, factor = model._profile(idx, times), np.asarray(model.als_.recalculate_user(0, row)).ravel()
        for name, index, rows, query in (("content", model.content_index_, model.items_.embeddings, profile),
                                         ("als", model.als_index_, model.als_.item_factors, factor)):
            scores = rows @ query
            nth = -np.partition(-scores, n - 1)[n - 1]
            got = index.search(query, n)[0]
            found[name].append(float(np.sum(scores[got[got >= 0]] >= nth - 1e-6)) / n)
    return {name: round(float(np.mean(shares)), 3) for name, shares in found.items()}


def feature_latency(model: Recommender, histories: list[tuple[list, list]]) -> dict[str, float]:
    """p50/p95 of ``_visit`` alone (the signals, and for a large catalog the pool): what is left of a request is
    picking the candidates, the ranker's predictions over them and writing the reasons."""
    seconds = []
    for items, times in histories[10:]:
        start = time.perf_counter()
        model._visit(items, times, as_of=max(times) + pd.Timedelta(days=1))
        seconds.append(time.perf_counter() - start)
    ms = np.array(seconds) * 1e3
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux reports KiB


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


class TimedIndex(VectorIndex):
    """VectorIndex that records how long each build took (the recommender builds them inside fit)."""

    builds: list[dict] = []

    def __init__(self, vectors: np.ndarray, *args, **kwargs):
        start = time.perf_counter()
        super().__init__(vectors, *args, **kwargs)
        TimedIndex.builds.append({"rows": self.size, "dim": self.dim, "approximate": self.approximate,
                                  "seconds": round(time.perf_counter() - start, 2)})


def one_size(n: int, requests: int, seed: int, large_catalog: int, exact_below: int) -> dict:
    """Everything for one catalog size, measured in this process."""
    recommender_module.LARGE_CATALOG, index_module.EXACT_BELOW = large_catalog, exact_below
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    items, style = synthetic_catalog(n, rng)
    frame = synthetic_interactions(style, rng)
    generate_s, rss_data = time.perf_counter() - start, rss_mb()
    recommender_module.VectorIndex = TimedIndex  # time the index builds that fit does
    start = time.perf_counter()
    model = Recommender().fit(frame, items)
    fit_s, rss_fitted = time.perf_counter() - start, rss_mb()
    histories = request_histories(frame, requests + 10, rng)
    served, features = latencies(model, histories), feature_latency(model, histories)
    recall = index_recall(model, histories)
    large = model.large_
    model.large_ = False  # the same model scoring every item per request
    dense = latencies(model, histories[: DENSE_REQUESTS_AT_1M + 10] if n >= 1_000_000 else histories)
    model.large_ = large
    return {"items": n, "interactions": len(frame), "users": int(frame["user_id"].nunique()),
            "served_mode": "candidate pool" if large else "every item", "generate_s": round(generate_s, 1),
            "fit_s": round(fit_s, 1), "index_builds": TimedIndex.builds,
            "candidate_recall": recall, "served": served, "served_features": features, "dense": dense,
            "rss_after_data_mb": rss_data, "rss_after_fit_mb": rss_fitted, "peak_rss_mb": peak_rss_mb()}




def markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [
        "# Recommender latency at scale", "",
        f"{report['date']} · {machine['cpu']} · {machine['cpu_count']} cores · {machine['ram_gb']} GB RAM · "
        f"OMP_NUM_THREADS={machine['omp_num_threads']} · load average at start {machine['loadavg_start']}", "",
        f"One `recommend(history of 10, k=10)` on a synthetic shop (see the script's docstring), fitted with the "
        f"default config. Candidate pool from {report['large_catalog']} items on; index exact below "
        f"{report['exact_below']} rows, IVF above. *dense*: the same model scoring every item.", "",
        "| items | served as | p50 ms | p95 ms | of which features p50 ms | dense p50 ms | dense p95 ms "
        "| candidate recall content / ALS | fit s | index builds s | peak RSS MB |",
        "|---:|---|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    if report["warning"]:
        lines[2:2] = [f"**Warning: {report['warning']}.**", ""]
    for r in report["results"]:
        if "error" in r:
            lines.append(f"| {r['items']:,} | failed: {r['error']} | | | | | | | | | |")
            continue
        builds = ", ".join(f"{b['rows']:,}×{b['dim']} {'IVF' if b['approximate'] else 'flat'} {b['seconds']}"
                           for b in r["index_builds"]) or "none"
        s, f, d, recall = r["served"], r["served_features"], r["dense"], r["candidate_recall"]
        recall = f"{recall['content']} / {recall['als']}" if recall else "(every item)"
        lines.append(f"| {r['items']:,} | {r['served_mode']} | {s['p50_ms']} | {s['p95_ms']} | {f['p50_ms']} "
                     f"| {d['p50_ms']} | {d['p95_ms']} | {recall} | {r['fit_s']} | {builds} "
                     f"| {r['peak_rss_mb']:,.0f} |")
    return "\n".join(lines) + "\n"


def run_child(n: int, args: argparse.Namespace) -> dict:
    """One size in a fresh process, so that its peak RSS is its own."""
    cmd = [sys.executable, __file__, "--child", str(n), "--requests", str(args.requests), "--seed", str(args.seed),
           "--large-catalog", str(args.large_catalog), "--exact-below", str(args.exact_below)]
    timeout = args.timeout
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"items": n, "error": f"did not finish in {timeout} s"}
    if done.returncode != 0:
        return {"items": n, "error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per size (after 10 warm-up)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per size")
    parser.add_argument("--large-catalog", type=int, default=LARGE_CATALOG,
                        help="items from which the candidate pool is used (default recsys.recommender's)")
    parser.add_argument("--exact-below", type=int, default=EXACT_BELOW,
                        help="rows from which the indexes are approximate (default recsys.index's)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "recommender_scale.json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = one_size(args.child, args.requests, args.seed, args.large_catalog, args.exact_below)
        print(json.dumps(result))
        return
    loadavg_start = [round(x, 2) for x in os.getloadavg()]
    busy = (f"machine busy at start (1-min load average {loadavg_start[0]}): latencies are pessimistic"
            if loadavg_start[0] >= BUSY_LOAD else None)
    results = []
    for n in args.sizes:
        results.append(run_child(n, args))
        print(json.dumps(results[-1]), file=sys.stderr)
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
                    "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
                    "python": platform.python_version(), "numpy": np.__version__,
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"), "loadavg_start": loadavg_start,
                    "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "warning": busy, "large_catalog": args.large_catalog, "exact_below": args.exact_below, "results": results,
    }
    write_report(args.out, report, markdown(report))


if __name__ == "__main__":
    main()
