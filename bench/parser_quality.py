"""Instruction-parser quality on the hand-written dev set (never trained on) and latency per request.

    .venv/bin/python bench/parser_quality.py [--dev tests/data/parser_dev.jsonl] [--weights PATH]

Writes bench/results/parser_quality.{json,md}: seqeval per-slot P/R/F1 over whitespace words, entity
micro-F1 on exact character spans and labels and intent accuracy (all from the default backend, ONNX Runtime);
p50/p95 latency per request at batch 1 on the CPU for both backends (ONNX Runtime, then PyTorch, each in its
own pass over the dev set); and how many requests the two backends parse to different intents or entity spans.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from seqeval.metrics import classification_report, f1_score

from tryon.inference import BACKENDS, InstructionParserPipeline, ParseResult

WARMUP = 10  # first calls pay for allocations and lazy initialisation, which a running service has behind it
BUSY_LOAD = 0.5  # 1-min load average above which other work is likely to skew the timings


def char_tags(text: str, entities: list[dict]) -> list[str]:
    """Word-level BIO tags (whitespace words) so gold and predicted spans are compared on the same units."""
    tags, pos = [], 0
    for word in text.split():
        start = text.index(word, pos)
        end = pos = start + len(word)
        tag = "O"
        for e in entities:
            if e["start"] < end and start < e["end"]:
                tag = ("B-" if start <= e["start"] else "I-") + e["label"]
                break
        tags.append(tag)
    return tags


def _f1(gold: set, found: set) -> float:
    hits = len(gold & found)
    return 2 * hits / (len(gold) + len(found)) if gold or found else 1.0


def _labels(result: ParseResult) -> tuple:
    return result.intent, [(e.label, e.start, e.end) for e in result.entities]


def _timed_pass(backend: str, weights: str | None, texts: list[str]) -> tuple[list[ParseResult], list[float]]:
    """Every text through one backend, one request at a time: its results and per-request latencies in ms."""
    pipeline = InstructionParserPipeline.from_pretrained(weights, backend=backend)
    for text in texts[:WARMUP]:
        pipeline(text)
    results, latencies = [], []
    for text in texts:
        start = time.perf_counter()
        results.append(pipeline(text))
        latencies.append((time.perf_counter() - start) * 1000)
    return results, latencies


def _percentiles(latencies: list[float]) -> dict[str, float]:
    return {f"p{q}": round(float(np.percentile(latencies, q)), 2) for q in (50, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", default="tests/data/parser_dev.jsonl")
    parser.add_argument("--weights", help="parser weights (default: the registry's)")
    parser.add_argument("--out", default="bench/results/parser_quality")
    args = parser.parse_args()
    rows = [json.loads(line) for line in Path(args.dev).read_text().splitlines() if line.strip()]
    texts = [row["text"] for row in rows]
    load_start = os.getloadavg()[0]
    if load_start >= BUSY_LOAD:
        print(
            f"warning: 1-min load average {load_start:.2f} at start: latencies are not representative", file=sys.stderr
        )
    # One backend at a time, as a service runs: interleaved, each one's idle thread pool spins against the
    # other's on a small CPU (measured: ONNX p50 4 -> 9 ms, torch 12 -> 31 ms on 2 cores).
    runs = {name: _timed_pass(name, args.weights, texts) for name in BACKENDS}
    found = runs["onnx"][0]  # quality is the default backend's
    differing = sum(_labels(a) != _labels(b) for a, b in zip(found, runs["torch"][0], strict=True))
    truth, guess, correct = [], [], 0
    gold_spans, found_spans = set(), set()
    for i, (row, result) in enumerate(zip(rows, found, strict=True)):
        truth.append(char_tags(row["text"], row["entities"]))
        guess.append(
            char_tags(row["text"], [{"label": e.label, "start": e.start, "end": e.end} for e in result.entities])
        )
        correct += result.intent == row["intent"]
        gold_spans |= {(i, e["label"], e["start"], e["end"]) for e in row["entities"]}
        found_spans |= {(i, e.label, e.start, e.end) for e in result.entities}
    report = classification_report(truth, guess, digits=3, zero_division=0)
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "loadavg_1min_start_end": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "requests": len(rows),
        "backend": "onnx",
        "entity_micro_f1": round(float(f1_score(truth, guess)), 4),
        "exact_char_span_micro_f1": round(_f1(gold_spans, found_spans), 4),
        "intent_accuracy": round(correct / len(rows), 4),
        **{f"latency_ms_{q}_{name}": value for name in BACKENDS for q, value in _percentiles(runs[name][1]).items()},
        "requests_differing_between_backends": differing,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({**result, "report": report}, indent=2) + "\n")
    table = "\n".join(f"| {k} | {v} |" for k, v in result.items())
    out.with_suffix(".md").write_text(f"| metric | value |\n|---|---|\n{table}\n\n```\n{report}```\n")
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
