"""CPU try-on on the real VITON-HD / DressCode persons in ../shared/data/tryon with the demo catalog's garments:
what is shown and what is refused (and why), speed per stage, colour accuracy, and person-parsing IoU.

    OMP_NUM_THREADS=2 .venv/bin/python bench/tryon_quality.py [--data ../shared/data] [--tiles /tmp/tryon_tiles]

- Every person photo x GARMENTS (tops, bottoms and dresses of the demo catalog): shown or refused, with the
  refusal's message. The shown ones go to docs/tryon_gallery.png and, at full size beside the person and the
  product photo, to --tiles, for judging by eye (the count of defect-free try-ons is written in the README by
  hand, from a blind judgment of the tiles).
- Seconds per stage (768x1024 photos), p50 / p95 of the total once the garment is analysed, and the first try-on
  of a garment never seen before.
- Colour: plain garments drawn in named colours; the CIEDE2000 distance between the drawn region's median colour
  and the colour vocabulary's reference.
- Parsing: IoU of the upper / lower clothing masks against bench/data/person_parsing (hand-labelled).
Writes bench/results/tryon_quality.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from skimage.color import deltaE_ciede2000, rgb2lab

from atelier_io import data_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_model, write_report  # noqa: E402

from tryon import Ask, TryOnError, canonical_colour, load_tryon, read_wearables  # noqa: E402
from tryon.parsing import parse_clothing  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "ui" / "demo_catalog"
# Tops of each sleeve length, bottoms and dresses, plain and printed.
GARMENTS = ("00055_00", "09236_00", "050181_1", "14673_00", "09133_00", "00151_00", "049940_1",
            "051827_1", "051991_1", "053744_1", "053319_1")
COLOURS = (("09236_00", "navy"), ("09236_00", "red"), ("09305_00", "black"), ("09133_00", "burgundy"),
           ("09305_00", "olive"), ("051827_1", "navy"))
TILE = (192, 256)


def persons(data: Path) -> dict[str, Path]:
    found = {}
    for kind in ("human", "model"):
        for path in sorted((data / "tryon").glob(f"*/{kind}/*")):
            if path.suffix.lower() in (".jpg", ".png"):
                found.setdefault(path.stem, path)
    return found


def run_pairs(pipe, people: dict[str, Path], garments: dict, tiles: Path | None) -> list[dict]:
    runs = []
    for stem, path in people.items():
        for gid in GARMENTS:
            garment = garments[gid]
            row = {"person": stem, "garment": gid, "category": garment.category}
            try:
                out = pipe(person=path, garment=garment.image_path, category=garment.category,
                           sleeves=garment.sleeves)
            except TryOnError as err:
                runs.append(row | {"shown": False, "message": str(err)})
                continue
            runs.append(row | {"shown": True, "timings": out.timings})
            if tiles is not None:
                person = Image.open(path).convert("RGB").resize(out.image.size)
                product = Image.open(garment.image_path).convert("RGB")
                product.thumbnail(out.image.size)
                sheet = Image.new("RGB", (out.image.width * 3, out.image.height), "white")
                for i, im in enumerate((person, out.image, product)):
                    sheet.paste(im, (i * out.image.width, 0))
                sheet.save(tiles / f"{len([r for r in runs if r['shown']]):03d}.png")
    return runs


def gallery(pipe, people: dict[str, Path], garments: dict, runs: list[dict], path: Path) -> None:
    """The shown try-ons, small, in rows of eight (the full-size tiles are in --tiles)."""
    shown = [r for r in runs if r["shown"]]
    cols = 8
    sheet = Image.new("RGB", (cols * TILE[0], max(1, -(-len(shown) // cols)) * TILE[1]), "white")
    for i, r in enumerate(shown):
        garment = garments[r["garment"]]
        out = pipe(person=people[r["person"]], garment=garment.image_path, category=r["category"],
                   sleeves=garment.sleeves)
        tile = out.image.resize(TILE)
        ImageDraw.Draw(tile).text((4, 4), f"{r['person']} + {r['garment']}", fill=(255, 0, 0))
        sheet.paste(tile, ((i % cols) * TILE[0], (i // cols) * TILE[1]))
    sheet.save(path)


def colour_accuracy(pipe, people: dict[str, Path], garments: dict) -> list[dict]:
    rows = []
    for stem in list(people)[:8]:
        for gid, name in COLOURS:
            garment, colour = garments[gid], canonical_colour(name)
            try:
                out = pipe(person=people[stem], garment=garment.image_path, category=garment.category,
                           ask=Ask(text=name, colour=colour))
            except TryOnError:
                continue
            drawn = np.asarray(out.image)[out.removed_mask]
            median = np.median(rgb2lab(drawn[None].astype(np.float64) / 255)[0], axis=0)
            goal = rgb2lab(np.array([[colour.rgb]], np.float64) / 255)[0, 0]
            rows.append({"person": stem, "garment": gid, "colour": name,
                         "delta_e": round(float(deltaE_ciede2000(median, goal)), 1)})
    return rows


def parsing_iou(pipe, data: Path) -> list[dict]:
    listing = ROOT / "bench/data/person_parsing/labels.json"
    labels = json.loads(listing.read_text()) if listing.is_file() else []
    rows = []
    for entry in labels:
        image = np.asarray(Image.open(data / entry["photo"]).convert("RGB"))
        body = pipe.persons(image, "upper")
        clothing = parse_clothing(body)
        row = {"photo": entry["photo"]}
        for part in ("upper", "lower"):
            truth = np.asarray(Image.open(ROOT / "bench/data/person_parsing" / entry[part])) > 127
            mine = getattr(clothing, part)
            union = (truth | mine).sum()
            row[part] = round(float((truth & mine).sum() / union), 3) if union else None
        rows.append(row)
    return rows


def speed(runs: list[dict]) -> dict:
    shown = [r["timings"] for r in runs if r["shown"]]
    totals = np.array([t["total"] - t.get("garment", 0) for t in shown])
    stages = {k: round(float(np.mean([t.get(k, 0) for t in shown])), 3) for k in shown[0]} if shown else {}
    return {"p50": round(float(np.percentile(totals, 50)), 3), "p95": round(float(np.percentile(totals, 95)), 3),
            "mean_per_stage": stages}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(data_dir()))
    ap.add_argument("--gallery", default="docs/tryon_gallery.png")
    ap.add_argument("--tiles", help="folder for full-size tiles (person | try-on | product) to judge by eye")
    ap.add_argument("--out", default="bench/results/tryon_quality.json")
    args = ap.parse_args()
    data = Path(args.data)
    tiles = Path(args.tiles) if args.tiles else None
    if tiles:
        tiles.mkdir(parents=True, exist_ok=True)
    pipe = load_tryon()
    people = persons(data)
    garments = {g.id: g for g in read_wearables(DEMO)}
    started = time.perf_counter()
    runs = run_pairs(pipe, people, garments, tiles)
    first = _first_tryon(pipe, people, garments, runs)
    gallery(pipe, people, garments, runs, Path(args.gallery))
    shown = [r for r in runs if r["shown"]]
    by_category = {c: f"{sum(r['shown'] for r in runs if r['category'] == c)}/"
                      f"{sum(r['category'] == c for r in runs)}" for c in ("upper", "lower", "dress")}
    colours = colour_accuracy(pipe, people, garments)
    parsing = parsing_iou(pipe, data)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": f"{cpu_model()}, {os.cpu_count()} cores",
        "persons": len(people), "garments": list(GARMENTS), "pairs": len(runs), "shown": len(shown),
        "shown_by_category": by_category, "first_tryon_new_garment_s": first, "speed": speed(runs),
        "refusals": _reasons(runs), "colour": colours,
        "colour_within_10": f"{sum(r['delta_e'] <= 10 for r in colours)}/{len(colours)}",
        "parsing": parsing,
        "parsing_mean_iou": {p: round(float(np.mean([r[p] for r in parsing if r[p] is not None] or [np.nan])), 3)
                             for p in ("upper", "lower")},
        "runs": runs, "seconds": round(time.perf_counter() - started, 1),
    }
    write_report(Path(args.out), report, markdown(report))
    print(markdown(report))


def _first_tryon(pipe, people: dict, garments: dict, runs: list[dict]) -> float | None:
    """Seconds for a shown pair when its garment was never seen before (the garment cache emptied)."""
    shown = next((r for r in runs if r["shown"]), None)
    if shown is None:
        return None
    pipe._garment_cache.clear()
    start = time.perf_counter()
    pipe(person=people[shown["person"]], garment=garments[shown["garment"]].image_path, category=shown["category"])
    return round(time.perf_counter() - start, 3)


def _reasons(runs: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in runs:
        if not r["shown"]:
            key = r["message"].split(":")[0] if "photo shows" not in r["message"] else r["message"].split(".")[0]
            key = key.replace("the garment", "garment")
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _colour_cell(row: dict) -> str:
    return f"{row['garment']} {row['colour']} {row['delta_e']}"


def markdown(r: dict) -> str:
    lines = [f"# Try-on quality ({r['date']}, {r['machine']})", "",
             f"{r['persons']} real person photos x {len(r['garments'])} demo garments = {r['pairs']} pairs; "
             f"**shown {r['shown']}** ({100 * r['shown'] / r['pairs']:.0f}%), by category {r['shown_by_category']}.",
             "", f"Speed once the garment is analysed: p50 {r['speed']['p50']} s, p95 {r['speed']['p95']} s; "
             f"first try-on of a new garment {r['first_tryon_new_garment_s']} s. Mean per stage: "
             f"{r['speed']['mean_per_stage']}", "",
             f"Named colours within CIEDE2000 10 of the vocabulary's reference: {r['colour_within_10']} "
             f"({', '.join(_colour_cell(c) for c in r['colour'][:12])})", "",
             f"Person parsing, mean IoU on the hand-labelled dev set: {r['parsing_mean_iou']}", "",
             "| photo | upper IoU | lower IoU |", "|---|---|---|"]
    lines += [f"| {p['photo']} | {p['upper']} | {p['lower']} |" for p in r["parsing"]]
    lines += ["", "Refusals (first words of the message: count):", ""]
    lines += [f"- {k}: {v}" for k, v in r["refusals"].items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
