"""Encoder throughput on this machine's CPU: images/s and texts/s at batch 1 and 32, all encoders in one run.

    python bench/encoder_throughput.py [--images 256] [--heads PATH] [--out bench/results/X.json]

Encoders: atelier-fashion on its torch and ONNX Runtime backends, and open_clip ViT-B-32 with random weights
(no CLIP checkpoint is available offline, and its cost does not depend on the weight values). Inputs are the
first N product photos (sorted by file name) that have a caption in styles.csv, and those captions. Image
timings are end to end: decoding and preprocessing from the file paths are included, as in production.
Writes the JSON and a markdown table beside it (same name, .md), and prints the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import torch
from common import cpu_model, write_report

from recsys.backends import OpenClipEncoder, TorchEncoder, load_heads
from recsys.encoder import EncoderCfg, FashionHeads, load_backbones
from recsys.onnx_backend import OnnxEncoder
from weights import WeightsNotFoundError, resolve

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
BATCH_SIZES = (1, 32)
BUSY_LOAD = 0.5  # 1-min load average above which other work is likely to skew the timings


def cpu_count() -> int:
    # The cores this process may run on (a container or taskset can give fewer than the machine has).
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1




def load_inputs(data: Path, n: int) -> tuple[list[Path], list[str]]:
    """The first ``n`` photos (sorted by name) that have a caption, and their captions."""
    styles = pd.read_csv(data / "products" / "styles.csv", on_bad_lines="skip")
    captions = styles.dropna(subset=["productDisplayName"]).set_index("id")["productDisplayName"]
    captions = captions[captions.str.strip() != ""].astype(str).to_dict()
    paths = [p for p in sorted((data / "products" / "images").glob("*.jpg")) if p.stem.isdigit()]
    chosen = [p for p in paths if int(p.stem) in captions][:n]
    if len(chosen) < n:
        sys.exit(f"only {len(chosen)} captioned photos under {data}/products; asked for {n}")
    return chosen, [captions[int(p.stem)] for p in chosen]


def atelier_heads(path: str | None) -> tuple[FashionHeads, str]:
    """Trained heads if there are any; otherwise random ones, which cost exactly the same to run."""
    if path:
        return load_heads(Path(path))[0], f"trained heads from {path}"
    try:
        found = resolve("atelier-fashion-heads")
    except WeightsNotFoundError:
        torch.manual_seed(0)
        note = "random-init heads: no trained heads file yet (throughput does not depend on head values)"
        return FashionHeads(EncoderCfg()).eval(), note
    return load_heads(found)[0], f"trained heads from {found}"


def timed(encode, items: list, batch_size: int) -> float:
    encode(items[:batch_size], batch_size=batch_size)  # warm-up: first-call allocations, lazy init, caches
    start = time.perf_counter()
    out = encode(items, batch_size=batch_size)
    seconds = time.perf_counter() - start
    if out.shape[0] != len(items) or not np.isfinite(out).all():
        raise RuntimeError(f"{encode.__qualname__}: shape {out.shape} or non-finite values for {len(items)}")
    return seconds


def build_encoders(heads: FashionHeads) -> list[tuple[str, str, object, float]]:
    """(encoder, backend, instance, setup seconds). The ONNX setup includes the one-off export if uncached."""
    start = time.perf_counter()
    image, text, tokenizer = load_backbones()
    torch_encoder = TorchEncoder(heads, image, text, tokenizer)
    torch_setup = time.perf_counter() - start
    start = time.perf_counter()
    onnx_encoder = OnnxEncoder.from_torch(torch_encoder)
    onnx_setup = time.perf_counter() - start
    start = time.perf_counter()
    served = OnnxEncoder.from_torch(torch_encoder, int8_text=True)  # as a server and the CLI run it
    served_setup = onnx_setup + time.perf_counter() - start
    start = time.perf_counter()
    clip = OpenClipEncoder.from_pretrained("ViT-B-32", pretrained=None)
    clip_setup = time.perf_counter() - start
    return [
        ("atelier-fashion", "torch", torch_encoder, torch_setup),
        ("atelier-fashion", "onnx", onnx_encoder, onnx_setup),
        ("atelier-fashion (default)", "onnx, int8 text tower", served, served_setup),
        ("open_clip ViT-B-32 (random init)", "torch", clip, clip_setup),
    ]


def markdown(report: dict) -> str:
    machine = report["machine"]
    lines = [
        "# Encoder throughput",
        "",
        f"{report['date']} · {machine['cpu']} · {machine['threads']} threads · torch {machine['torch']} · "
        f"onnxruntime {machine['onnxruntime']} · load average at start {machine['loadavg_start']}",
        "",
        f"{report['images']} product photos (decode + preprocess included) and their captions. "
        f"atelier-fashion: {report['heads']}. Setup is loading, plus the one-off ONNX export when uncached.",
        "",
        "| encoder | backend | setup s | images/s @1 | images/s @32 | texts/s @1 | texts/s @32 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    if report["warning"]:
        lines[2:2] = [f"**Warning: {report['warning']}.**", ""]
    rate = {(r["encoder"], r["backend"], r["modality"], r["batch_size"]): r["items_per_s"]
            for r in report["results"]}
    for encoder, backend, setup in report["encoders"]:
        cells = [f"{rate[encoder, backend, m, b]:.1f}" for m in ("images", "texts") for b in BATCH_SIZES]
        lines.append(f"| {encoder} | {backend} | {setup:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results/encoder_throughput.json"))
    parser.add_argument("--images", type=int, default=256, help="photos (and captions) per measurement")
    parser.add_argument("--heads", help="atelier-fashion heads file (default: the registry's, else random)")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("ATELIER_DATA", DEFAULT_DATA)),
                        help="folder holding products/images and products/styles.csv (default $ATELIER_DATA)")
    args = parser.parse_args()
    if args.images < max(BATCH_SIZES):
        parser.error(f"--images must be at least {max(BATCH_SIZES)}")

    loadavg_start = [round(x, 2) for x in os.getloadavg()]
    # Another busy process skews everything, torch most: its threads wait on each other at every op when one
    # core is taken (measured: 2 threads ran ~10x slower than 1 beside a training job on a 2-core machine).
    busy = (f"machine busy at start (1-min load average {loadavg_start[0]}): numbers are not representative"
            if loadavg_start[0] >= BUSY_LOAD else None)
    if busy:
        print(f"warning: {busy}", file=sys.stderr)
    threads = cpu_count()
    torch.set_num_threads(threads)  # ONNX Runtime's default already uses every core
    paths, captions = load_inputs(args.data, args.images)
    heads, heads_note = atelier_heads(args.heads)
    print(f"atelier-fashion: {heads_note}", file=sys.stderr)

    results, encoders = [], []
    for encoder_name, backend, encoder, setup in build_encoders(heads):
        encoders.append((encoder_name, backend, round(setup, 2)))
        for modality, encode, items in (("images", encoder.encode_images, paths),
                                        ("texts", encoder.encode_texts, captions)):
            for batch_size in BATCH_SIZES:
                seconds = timed(encode, items, batch_size)
                results.append({"encoder": encoder_name, "backend": backend, "modality": modality,
                                "batch_size": batch_size, "items": len(items), "seconds": round(seconds, 3),
                                "items_per_s": round(len(items) / seconds, 2)})
                print(f"{encoder_name} [{backend}] {modality} @{batch_size}: {len(items) / seconds:.1f}/s",
                      file=sys.stderr)

    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
                    "threads": threads, "python": platform.python_version(), "torch": torch.__version__,
                    "onnxruntime": ort.__version__, "loadavg_start": loadavg_start,
                    "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "warning": busy, "images": len(paths), "data": str(args.data), "heads": heads_note,
        "encoders": encoders, "results": results,
    }
    write_report(args.out, report, markdown(report))


if __name__ == "__main__":
    main()
