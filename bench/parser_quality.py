"""Instruction-parser quality on the hand-written dev set (never trained on) and latency per request.

    .venv/bin/python bench/parser_quality.py [--dev tests/data/parser_dev.jsonl] [--weights PATH]

Writes bench/results/parser_quality.{json,md}: seqeval per-slot P/R/F1 over whitespace words, entity
micro-F1 on exact character spans and labels, intent accuracy, and p50/p95 latency at batch 1 (PyTorch, CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from seqeval.metrics import classification_report, f1_score

from tryon.inference import InstructionParserPipeline


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", default="tests/data/parser_dev.jsonl")
    parser.add_argument("--weights", help="parser weights (default: the registry's)")
    parser.add_argument("--out", default="bench/results/parser_quality")
    args = parser.parse_args()
    rows = [json.loads(line) for line in Path(args.dev).read_text().splitlines() if line.strip()]
    pipeline = InstructionParserPipeline.from_pretrained(args.weights)
    truth, guess, correct, latencies = [], [], 0, []
    gold_spans, found_spans = set(), set()
    for i, row in enumerate(rows):
        start = time.perf_counter()
        result = pipeline(row["text"])
        latencies.append((time.perf_counter() - start) * 1000)
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
        "requests": len(rows),
        "entity_micro_f1": round(float(f1_score(truth, guess)), 4),
        "exact_char_span_micro_f1": round(_f1(gold_spans, found_spans), 4),
        "intent_accuracy": round(correct / len(rows), 4),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2),
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 2),
        "backend": "torch",
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps({**result, "report": report}, indent=2) + "\n")
    table = "\n".join(f"| {k} | {v} |" for k, v in result.items())
    out.with_suffix(".md").write_text(f"| metric | value |\n|---|---|\n{table}\n\n```\n{report}```\n")
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
