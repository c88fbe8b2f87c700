"""Restyling real garment photos (../shared/data/tryon) into the most-asked styles with the recipe engine.

    OMP_NUM_THREADS=2 .venv/bin/python bench/restyle_quality.py [--data ../shared/data] [--tiles DIR] [--no-sd15]
    .venv/bin/python bench/restyle_quality.py --judged ANSWERS.json --tiles DIR   # score a blind judge

- The styles: the 11 asked for most often in real shopper words (Fashion IQ's edit requests and the
  women's-clothing reviews), counted with the parser's style vocabulary, generic words left out ("soft");
  ``--styles`` names others (all 20 with ``--styles vintage minimalist ...``: an outside check draws from them all;
  give it ``--out`` and ``--gallery`` elsewhere to keep the 11-style report).
- Seconds per image at 512 px (long side) and at 768x1024, the restyle alone (garment mask given); the cut-out.
- Inside the garment mask: edge F1 (Canny edges of the restyled photo against the original's, 2 px tolerance)
  and the recall of the original's edges. A new print adds edges (F1's precision falls) and an old print that the
  style replaces takes its edges away (recall falls), both by design; so F1 is also given for the same recipe
  drawn as plain cloth (print off) on the garments that are plain to begin with: what is left is the garment's
  structure (outline, collar, seams, folds) carried through the new cloth and light. Outside the mask: the largest
  change on 8-bit channels.
- ``--tiles DIR``: every restyle as DIR/tiles/<shuffled id>.png (the garment photo beside it) and the answers in
  DIR/key.json, for a blind judge. Then ``--judged FILE --tiles DIR`` scores the judge's
  {id: {"style", "real", "recognisable"}} into the last report (--out) without restyling again.
- Diffusers: one UNet step of an SD-1.5-sized UNet with random weights at 512 px (what a real model's step costs).
Writes bench/results/restyle_quality.{json,md} and docs/restyle_gallery.png.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import random
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from atelier_io import data_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_model, write_report  # noqa: E402

from style import RECIPES, STYLES, apply_recipe, restyle  # noqa: E402
from style.restyle import garment_mask  # noqa: E402

# Two VITON-HD tees, a shirt, a print tee, a tank, a knit; two DressCode pieces (trousers, a dress).
GARMENTS = ("09163_00", "09164_00", "04469_00", "00470_00", "09263_00", "14673_00", "051946_1", "053319_1")
PRINTED = {"00470_00", "09263_00", "053319_1"}  # an all-over print (florals, chains, cabbages), seen by eye
N_STYLES = 11
# Words the vocabulary maps to a style but shoppers mostly use about comfort or fabric ("so soft", "simple").
GENERIC = {"soft", "comfortable", "comfy", "simple", "clean", "basic", "basics", "relaxed", "smart", "active",
           "sport", "professional", "effortless", "everyday", "dressy", "formal", "chic", "traditional",
           "conventional", "street", "urban", "festive", "polished", "refined"}


def most_asked(data: Path) -> list[tuple[str, int]]:
    """Styles by how many real shopper texts name them (each text counts once per style)."""
    words = {w.lower(): s.name for s in STYLES for w in (s.name, *s.synonyms) if w.lower() not in GENERIC}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b")
    texts = [c for f in sorted(data.glob("language/fashion_iq_captions/captions/*.json"))
             for row in json.loads(f.read_text()) for c in row.get("captions", [])]
    reviews = pd.read_csv(data / "reviews/womens_clothing_reviews.csv")
    texts += (reviews["Title"].fillna("") + " " + reviews["Review Text"].fillna("")).tolist()
    counts = collections.Counter(words[m] for t in texts for m in set(pattern.findall(t.lower())))
    return counts.most_common()


def edge_scores(original: np.ndarray, restyled: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Edge F1 and the recall of the original's edges, inside the mask, 2 px tolerance."""
    grey = [cv2.Canny(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), 60, 160) > 0 for x in (original, restyled)]
    ours, theirs = (g & mask for g in grey)
    near = np.ones((5, 5), np.uint8)
    precision = (theirs & cv2.dilate(ours.astype(np.uint8), near).astype(bool)).sum() / max(theirs.sum(), 1)
    recall = (ours & cv2.dilate(theirs.astype(np.uint8), near).astype(bool)).sum() / max(ours.sum(), 1)
    return float(2 * precision * recall / max(precision + recall, 1e-9)), float(recall)


def sized(image: Image.Image, side: int) -> Image.Image:
    scale = side / max(image.size)
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)


def timed(call, *args, **kwargs) -> tuple[object, float]:
    start = time.perf_counter()
    out = call(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(data_dir()))
    ap.add_argument("--tiles", help="write shuffled tiles and their key here, for a blind judge")
    ap.add_argument("--judged", help="a blind judge's answers to score (JSON)")
    ap.add_argument("--no-sd15", action="store_true", help="skip the SD-1.5-sized UNet step (3.4 GB, a minute)")
    ap.add_argument("--out", default="bench/results/restyle_quality.json")
    ap.add_argument("--gallery", default="docs/restyle_gallery.png")
    ap.add_argument("--styles", nargs="+", metavar="STYLE",
                    help="these styles instead of the 11 most asked (all 20: an outside check draws from them all)")
    args = ap.parse_args()
    if args.judged:
        if not args.tiles:
            sys.exit("--judged needs --tiles DIR, the folder whose key.json the judge's answers are scored against")
        report = json.loads(Path(args.out).read_text())
        report["judgement"] = score(Path(args.judged), Path(args.tiles) / "key.json")
        write_report(Path(args.out), report, markdown(report))
        return
    data = Path(args.data)
    found = {p.stem: p for p in data.glob("tryon/*/*/*.jpg")}
    missing = [g for g in GARMENTS if g not in found]
    if missing:
        sys.exit(f"garment photos {missing} not found under {data}/tryon")
    asked = most_asked(data)
    styles = args.styles or [name for name, _ in asked[:N_STYLES]]
    unknown = sorted(set(styles) - set(RECIPES))
    if unknown:
        sys.exit(f"no recipe for {', '.join(unknown)}; the styles are {', '.join(RECIPES)}")
    load = os.getloadavg()[0]
    rows, times, tiles = [], {"512": [], "768x1024": [], "cutout_768x1024": []}, []
    for gid in GARMENTS:
        photo = Image.open(found[gid]).convert("RGB")
        mask, seconds = timed(garment_mask, photo)
        times["cutout_768x1024"].append(seconds)
        small = sized(photo, 512)
        small_mask = cv2.resize(mask, small.size, interpolation=cv2.INTER_NEAREST)
        rgb, inside = np.asarray(photo), mask > 0.5
        row = [photo]
        for name in styles:
            times["512"].append(timed(restyle, small, name, mask=small_mask)[1])
            out, seconds = timed(restyle, photo, name, mask=mask)
            times["768x1024"].append(seconds)
            result = np.asarray(out.image)
            f1, recall = edge_scores(rgb, result, inside)
            plain = apply_recipe(photo, dataclasses.replace(RECIPES[name], prints=("solid",)), mask)
            rows.append({"garment": gid, "style": name, "edge_f1": f1, "edge_recall": recall,
                         "edge_f1_plain_cloth": edge_scores(rgb, np.asarray(plain), inside)[0],
                         "printed_garment": gid in PRINTED, "printed_look": RECIPES[name].prints[0] != "solid",
                         "outside_max_diff": int(np.abs(result.astype(int) - rgb.astype(int))[mask == 0].max()),
                         "description": out.description})
            row.append(out.image)
        tiles.append(row)
    gallery(tiles, ["garment", *styles], Path(args.gallery))
    if args.tiles:
        blind_tiles(tiles, styles, Path(args.tiles))
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "load_average_at_start": load,
        "garments": list(GARMENTS), "styles": styles, "asked": dict(asked), "gallery": args.gallery,
        "seconds": {k: {"p50": float(np.median(v)), "p95": float(np.percentile(v, 95))} for k, v in times.items()},
        "summary": summary(rows),
        "judgement": None,  # scored later from the blind judge's answers: --judged
        "diffusers": {} if args.no_sd15 else {"sd15_unet_step": sd15_step()},
        "rows": rows,
    }
    write_report(Path(args.out), report, markdown(report))


def summary(rows: list[dict]) -> dict:
    plain = [r for r in rows if not r["printed_garment"]]
    return {
        "n": len(rows),
        "edge_f1": float(np.mean([r["edge_f1"] for r in rows])),
        "edge_f1_by_kind": {
            f"{'printed' if g else 'plain'} garment, {'printed' if p else 'plain'} look": float(np.mean(v))
            for (g, p), v in sorted(_group(rows, lambda r: (r["printed_garment"], r["printed_look"])).items())},
        "edge_f1_plain_cloth_on_plain_garments": float(np.mean([r["edge_f1_plain_cloth"] for r in plain])),
        "edge_f1_min": float(min(r["edge_f1"] for r in rows)),
        "edge_recall": float(np.mean([r["edge_recall"] for r in rows])),
        "outside_max_diff": int(max(r["outside_max_diff"] for r in rows)),
    }


def _group(rows: list[dict], key) -> dict:
    groups = collections.defaultdict(list)
    for r in rows:
        groups[key(r)].append(r["edge_f1"])
    return groups


def blind_tiles(tiles: list[list[Image.Image]], styles: list[str], folder: Path) -> None:
    """Each restyle beside its garment photo under a shuffled id; the answers go to key.json, apart from them."""
    (folder / "tiles").mkdir(parents=True, exist_ok=True)
    pairs = [(g, s) for g in range(len(tiles)) for s in range(len(styles))]
    ids = random.Random(7).sample(range(100, 1000), len(pairs))
    key = {}
    for tile_id, (g, s) in zip(ids, pairs, strict=True):
        before, after = tiles[g][0], tiles[g][s + 1]
        pair = Image.new("RGB", (before.width * 2, before.height), "white")
        pair.paste(before, (0, 0))
        pair.paste(after, (before.width, 0))
        sized(pair, 1200).save(folder / "tiles" / f"{tile_id}.png")
        key[str(tile_id)] = {"garment": GARMENTS[g], "style": styles[s]}
    (folder / "key.json").write_text(json.dumps(key, indent=1))


def score(judged: Path, key_file: Path) -> dict:
    """The blind judge's answers against the key: style named, real fabric or print, garment recognisable."""
    answers, key = json.loads(judged.read_text()), json.loads(key_file.read_text())
    rows = [(key[i], a) for i, a in answers.items() if i in key]
    per_style = collections.defaultdict(list)
    for truth, answer in rows:
        per_style[truth["style"]].append(answer.get("style") == truth["style"])
    return {
        "n": len(rows),
        "style_named": float(np.mean([a.get("style") == t["style"] for t, a in rows])),
        "real_fabric": float(np.mean([bool(a.get("real")) for _, a in rows])),
        "recognisable": float(np.mean([bool(a.get("recognisable")) for _, a in rows])),
        "style_named_per_style": {s: f"{sum(v)}/{len(v)}" for s, v in sorted(per_style.items())},
    }


def gallery(tiles: list[list[Image.Image]], header: list[str], path: Path, tile: tuple[int, int] = (180, 240)) -> None:
    top = 28
    sheet = Image.new("RGB", (len(header) * tile[0], top + len(tiles) * tile[1]), "white")
    draw = ImageDraw.Draw(sheet)
    for c, name in enumerate(header):
        draw.text((c * tile[0] + 8, 8), name, fill="black")
    for r, row in enumerate(tiles):
        for c, image in enumerate(row):
            sheet.paste(image.resize(tile, Image.Resampling.LANCZOS), (c * tile[0], top + r * tile[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)


def sd15_step() -> dict:
    """One UNet forward (classifier-free guidance: batch 2) of an SD-1.5-sized UNet with random weights."""
    import torch
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel(
        sample_size=64, cross_attention_dim=768, block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
        attention_head_dim=8,
    ).eval()
    latents, text = torch.randn(2, 4, 64, 64), torch.randn(2, 77, 768)
    with torch.no_grad():
        unet(latents, 500, encoder_hidden_states=text)  # warm-up
        _, seconds = timed(unet, latents, 500, encoder_hidden_states=text)
    return {"params_m": sum(p.numel() for p in unet.parameters()) / 1e6, "step_s": seconds}


def markdown(r: dict) -> str:
    s, t = r["summary"], r["seconds"]
    asked = ", ".join(f"{name} {n}" for name, n in r["asked"].items() if name in r["styles"])
    which = "most-asked" if r["styles"] == list(r["asked"])[:N_STYLES] else "chosen"
    lines = [
        f"# Restyle ({r['date']}, {r['machine']}, load {r['load_average_at_start']:.1f} at start)",
        "",
        f"{s['n']} restyles: {len(r['garments'])} real garment photos x the {len(r['styles'])} {which} styles "
        f"({asked} shopper texts), recipe engine, full strength. "
        f"Gallery: {r.get('gallery', 'docs/restyle_gallery.png')}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| seconds per 512 px image (restyle, mask given) | p50 {t['512']['p50']:.3f}, p95 {t['512']['p95']:.3f} |",
        f"| seconds per 768x1024 image (restyle, mask given) | p50 {t['768x1024']['p50']:.3f}, "
        f"p95 {t['768x1024']['p95']:.3f} |",
        f"| seconds for the garment cut-out at 768x1024 | p50 {t['cutout_768x1024']['p50']:.3f} |",
        f"| largest change outside the garment mask (8-bit) | {s['outside_max_diff']} |",
        f"| edge F1 inside the mask (mean / worst) | {s['edge_f1']:.3f} / {s['edge_f1_min']:.3f} |",
        f"| the original's edges kept inside the mask (recall) | {s['edge_recall']:.3f} |",
        *(f"| edge F1, {kind} | {v:.3f} |" for kind, v in s["edge_f1_by_kind"].items()),
        f"| edge F1, plain garments, the recipe drawn as plain cloth (print off): structure kept | "
        f"{s['edge_f1_plain_cloth_on_plain_garments']:.3f} |",
    ]
    if j := r["judgement"]:
        lines += [f"| blind judge: intended style named | {j['style_named']:.0%} of {j['n']} |",
                  f"| blind judge: reads as a real fabric, print or finish | {j['real_fabric']:.0%} |",
                  f"| blind judge: the garment still recognisable | {j['recognisable']:.0%} |"]
    if "sd15_unet_step" in r["diffusers"]:
        d = r["diffusers"]["sd15_unet_step"]
        lines.append(f"| diffusers: one UNet step, SD-1.5 size ({d['params_m']:.0f} M params, random weights), "
                     f"512 px, batch 2 | {d['step_s']:.2f} s |")
    if j:
        lines += ["", "Per style, intended style named: " + ", ".join(
            f"{k} {v}" for k, v in j["style_named_per_style"].items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
