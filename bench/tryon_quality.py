"""CPU try-on on the real VITON-HD / DressCode photos in ../shared/data/tryon: speed per stage, paired
quality against a paste baseline, placement checks and a gallery.

    OMP_NUM_THREADS=2 .venv/bin/python bench/tryon_quality.py [--data ../shared/data] [--gallery docs/tryon_gallery.png]

- Seconds per step for every person x gallery garment (768x1024 photos), p50/p95 and the mean per stage.
- Paired metrics on the persons who wear a garment of the same id (VITON-HD pairs): the try-on of that
  garment should reproduce the photo. SSIM (grey, whole image and torso box), PSNR and mean Lab distance
  inside the true garment region, for Atelier and for the baseline of pasting the cut-out, scaled to the
  torso box (shoulders to hips), over the photo.
- Placement checks per try-on (automatic stand-ins for looking): the garment's top edge between 0.3
  torso lengths above and 0.1 below the shoulder joints' line, the garment's share lying off the person
  ("floating"), and the hem below mid-torso. The honest count from looking at the gallery is written by
  hand in the README.
- Category guessing (recsys encoder, zero-shot) against hand labels of every garment photo.
Writes bench/results/tryon_quality.{json,md} and the gallery PNG (every person x five garments).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from atelier_io import data_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_model, write_report  # noqa: E402

from recsys import create_encoder, garment_classifier  # noqa: E402
from tryon import TryOnError, load_tryon  # noqa: E402
from tryon.person import PersonError  # noqa: E402

# Five upper-body garments of different cuts for the gallery: T-shirt, polo, tank top, long-sleeved
# blouse, long-sleeved print top.
GALLERY = ("09164_00", "09163_00", "14673_00", "09263_00", "00470_00")
# Hand labels from looking at every garment photo: DressCode ids 051412-051991 are trousers,
# 051998-053790 dresses; everything else in the folders is a top.
LOWER = {"051412_1", "051473_1", "051515_1", "051517_1", "051827_1", "051946_1", "051988_1", "051991_1"}
DRESS = {"051998_1", "052234_1", "053290_1", "053319_1", "053742_1", "053744_1", "053786_1", "053790_1"}
# Bottoms and dresses for a second sheet, on the persons whose knees are in the photo.
FULL_BODY_GARMENTS = (("051946_1", "lower"), ("051988_1", "lower"), ("053319_1", "dress"), ("052234_1", "dress"))
TILE = (144, 192)


def photos(data: Path, kinds: tuple[str, ...]) -> dict[str, Path]:
    found = {}
    for kind in kinds:
        for path in sorted((data / "tryon").glob(f"*/{kind}/*")):
            if path.suffix.lower() in (".jpg", ".png"):
                found.setdefault(path.stem, path)
    return found


def paste_baseline(pipe, person: Path, garment: Path) -> np.ndarray:
    """The garment's cut-out scaled into the torso box (shoulders to hips) and pasted over the photo."""
    image = pipe.check_image(person, "person")
    body = pipe.persons(image, "upper")
    cloth = pipe.garments(Image.open(garment).convert("RGB"), "upper")
    p = body.points
    x0, x1 = sorted((p["shoulder_l"][0], p["shoulder_r"][0]))
    y0, y1 = (p["shoulder_l"][1] + p["shoulder_r"][1]) / 2, (p["hip_l"][1] + p["hip_r"][1]) / 2
    size = (max(int(x1 - x0), 1), max(int(y1 - y0), 1))
    rgb = np.asarray(Image.fromarray(cloth.image).resize(size))
    alpha = np.asarray(Image.fromarray((cloth.alpha * 255).astype(np.uint8)).resize(size))[..., None] / 255
    out = image.astype(np.float32).copy()
    region = out[int(y0) : int(y0) + size[1], int(x0) : int(x0) + size[0]]
    h, w = region.shape[:2]
    region[:] = region * (1 - alpha[:h, :w]) + rgb[:h, :w] * alpha[:h, :w]
    return out.astype(np.uint8)


def paired_metrics(result: np.ndarray, truth: np.ndarray, box: tuple[int, int, int, int], region: np.ndarray) -> dict:
    import cv2

    grey_a, grey_b = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (result, truth))
    x0, y0, x1, y1 = box
    lab_a, lab_b = (cv2.cvtColor(x, cv2.COLOR_RGB2LAB).astype(np.float32) for x in (result, truth))
    return {
        "ssim": float(structural_similarity(grey_a, grey_b, data_range=255)),
        "ssim_torso": float(structural_similarity(grey_a[y0:y1, x0:x1], grey_b[y0:y1, x0:x1], data_range=255)),
        "psnr": float(peak_signal_noise_ratio(truth, result, data_range=255)),
        "lab_distance_in_garment": float(np.linalg.norm(lab_a[region] - lab_b[region], axis=1).mean()),
    }


def evaluate_pairs(pipe, persons: dict, garments: dict) -> list[dict]:
    rows = []
    for pid in sorted(set(persons) & set(garments)):
        truth = pipe.check_image(persons[pid], "person")
        try:
            out = pipe(person=persons[pid], garment=garments[pid], category="upper")
        except TryOnError as err:
            rows.append({"id": pid, "refused": str(err)})
            continue
        body = pipe.persons(truth, "upper")
        p = body.points
        x0 = int(min(p["shoulder_l"][0], p["hip_l"][0]))
        x1 = int(max(p["shoulder_r"][0], p["hip_r"][0]))
        y0, y1 = int(min(p["shoulder_l"][1], p["shoulder_r"][1])), int(max(p["hip_l"][1], p["hip_r"][1]))
        region = (body.mask > 0.5) & ~body.skin & ~body.head
        region[: y0 - 10] = False
        region[y1 + int(0.2 * (y1 - y0)) :] = False
        ours = paired_metrics(np.asarray(out.image), truth, (x0, y0, x1, y1), region)
        paste = paired_metrics(paste_baseline(pipe, persons[pid], garments[pid]), truth, (x0, y0, x1, y1), region)
        rows.append({"id": pid, "atelier": ours, "paste": paste})
    return rows


def placement(out) -> dict:
    """Automatic placement checks for one upper-body try-on."""
    lm, mask, garment = out.landmarks, out.person_mask > 0.5, out.garment_mask > 0.5
    neck = (np.array(lm["shoulder_l"]) + np.array(lm["shoulder_r"])) / 2
    hips = (np.array(lm["hip_l"]) + np.array(lm["hip_r"])) / 2
    torso = float(np.linalg.norm(hips - neck))
    rows = np.flatnonzero(garment.any(axis=1))
    top, bottom = (rows[0], rows[-1]) if rows.size else (0, 0)
    floating = float((garment & ~mask).sum() / max(garment.sum(), 1))
    return {
        "neck_offset": float((top - neck[1]) / torso),
        "floating": floating,
        "hem_depth": float((bottom - neck[1]) / torso),
        "ok": bool(-0.3 * torso < top - neck[1] < 0.1 * torso and bottom > neck[1] + 0.45 * torso and floating < 0.25),
    }


def run_gallery(pipe, persons: dict, garments: dict, path: Path) -> tuple[list[dict], list[dict]]:
    cols = 1 + len(GALLERY)
    sheet = Image.new("RGB", (cols * TILE[0], len(persons) * TILE[1]), "white")
    draw = ImageDraw.Draw(sheet)
    runs, refusals = [], []
    for row, (pid, person) in enumerate(sorted(persons.items())):
        original = Image.open(person).convert("RGB")
        sheet.paste(original.resize(TILE), (0, row * TILE[1]))
        draw.text((4, row * TILE[1] + 4), pid, fill=(255, 0, 0))
        for col, gid in enumerate(GALLERY, start=1):
            origin = (col * TILE[0], row * TILE[1])
            try:
                out = pipe(person=person, garment=garments[gid], category="upper")
            except (TryOnError, PersonError) as err:
                refusals.append({"person": pid, "garment": gid, "error": str(err)})
                draw.text((origin[0] + 4, origin[1] + 80), "refused:\n" + str(err)[8:60], fill=(200, 0, 0))
                continue
            sheet.paste(out.image.resize(TILE), origin)
            check = placement(out)
            runs.append({"person": pid, "garment": gid, "timings": out.timings, **check})
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return runs, refusals


def run_full_body(pipe, persons: dict, garments: dict, path: Path) -> dict:
    """Bottoms and dresses on every person whose photo shows the knees (the others are refused)."""
    rows, refused = [], 0
    for _, person in sorted(persons.items()):
        tiles = []
        for gid, category in FULL_BODY_GARMENTS:
            try:
                tiles.append(pipe(person=person, garment=garments[gid], category=category).image.resize(TILE))
            except TryOnError:
                refused += 1
        if len(tiles) == len(FULL_BODY_GARMENTS):
            rows.append([Image.open(person).convert("RGB").resize(TILE), *tiles])
    sheet = Image.new("RGB", ((1 + len(FULL_BODY_GARMENTS)) * TILE[0], max(len(rows), 1) * TILE[1]), "white")
    for r, tiles in enumerate(rows):
        for c, tile in enumerate(tiles):
            sheet.paste(tile, (c * TILE[0], r * TILE[1]))
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return {"persons": len(rows), "refused": refused, "garments": [g for g, _ in FULL_BODY_GARMENTS]}


def garment_seconds(pipe, garments: dict) -> dict:
    """The step a first try-on of a product pays once (cut-out and key points), over every garment photo."""
    times = []
    for path in garments.values():
        image = Image.fromarray(pipe.check_image(path, "garment"))
        start = time.perf_counter()
        with contextlib.suppress(ValueError):  # a refusal costs the same analysis
            pipe.garments(image, "upper")
        times.append(time.perf_counter() - start)
    return {"n": len(times), "p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95))}


def category_accuracy(pipe, garments: dict) -> dict:
    labels = {gid: "lower" if gid in LOWER else "dress" if gid in DRESS else "upper" for gid in garments}
    wrong = {}
    for gid, path in garments.items():
        guess = pipe.guess_category(Image.open(path).convert("RGB"))
        if guess != labels[gid]:
            wrong[gid] = f"{labels[gid]} -> {guess}"
    return {"n": len(labels), "accuracy": 1 - len(wrong) / len(labels), "wrong": wrong}


def stage_table(runs: list[dict]) -> dict:
    stages = list(runs[0]["timings"]) if runs else []
    return {
        stage: {
            "mean": float(np.mean([r["timings"][stage] for r in runs])),
            "p50": float(np.percentile([r["timings"][stage] for r in runs], 50)),
            "p95": float(np.percentile([r["timings"][stage] for r in runs], 95)),
        }
        for stage in stages
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(data_dir()))
    ap.add_argument("--gallery", default="docs/tryon_gallery.png")
    ap.add_argument("--out", default="bench/results/tryon_quality.json")
    args = ap.parse_args()
    data = Path(args.data)
    persons = photos(data, ("human", "model"))
    garments = photos(data, ("cloth", "garment"))
    if not persons or not garments:
        sys.exit(f"no try-on photos under {data / 'tryon'}; set --data to ../shared/data")
    pipe = load_tryon(classifier=garment_classifier(create_encoder()))  # the app's classifier, handed in
    pipe(person=persons[sorted(persons)[0]], garment=garments[GALLERY[0]], category="upper")  # warm-up
    load = os.getloadavg()[0]
    runs, refusals = run_gallery(pipe, persons, garments, Path(args.gallery))
    full_body = run_full_body(pipe, persons, garments, Path(args.gallery).with_name("tryon_gallery_bottoms.png"))
    pairs = evaluate_pairs(pipe, persons, garments)
    categories = category_accuracy(pipe, garments)
    first_time = garment_seconds(pipe, garments)
    stages = stage_table(runs)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "load_average_at_start": load,
        "persons": len(persons),
        "gallery_garments": list(GALLERY),
        "tryons": len(runs),
        "refusals": refusals,
        "stages": stages,
        "garment_analysis": first_time,
        "placement_ok": sum(r["ok"] for r in runs),
        "placement_ok_persons": len({r["person"] for r in runs if r["ok"]}),
        "full_body": full_body,
        "runs": runs,
        "pairs": pairs,
        "categories": categories,
    }
    write_report(Path(args.out), report, markdown(report))


def markdown(r: dict) -> str:
    lines = [
        f"# Try-on on CPU ({r['date']}, {r['machine']}, load {r['load_average_at_start']:.1f} at start)",
        "",
        f"{r['tryons']} try-ons: {r['persons']} real person photos x {len(r['gallery_garments'])} garments "
        f"({len(r['refusals'])} refused). Gallery: docs/tryon_gallery.png. Bottoms and dresses: "
        f"{r['full_body']['persons']} full-body persons x {len(r['full_body']['garments'])} garments in "
        "docs/tryon_gallery_bottoms.png.",
        "",
        "| stage | mean s | p50 s | p95 s |",
        "|---|---|---|---|",
    ]
    lines += [f"| {k} | {v['mean']:.3f} | {v['p50']:.3f} | {v['p95']:.3f} |" for k, v in r["stages"].items()]
    g = r["garment_analysis"]
    lines += [
        "",
        f"The garment step is cached per product photo; its first run (cut-out and key points, over all {g['n']} "
        f"garment photos) takes p50 {g['p50']:.3f} s, p95 {g['p95']:.3f} s, so a first try-on of a new garment "
        f"costs about {r['stages']['total']['p50'] + g['p50']:.2f} s at the median.",
    ]
    lines += [
        "",
        f"Automatic placement checks passed: {r['placement_ok']} of {r['tryons']} try-ons "
        f"(top edge from 0.3 torso above to 0.1 below the shoulder joints, hem below mid-torso, < 25% of the garment "
        "off the person).",
        "",
        "| paired id | method | SSIM | SSIM torso | PSNR | Lab distance in garment |",
        "|---|---|---|---|---|---|",
    ]
    for pair in r["pairs"]:
        if "refused" in pair:
            lines.append(f"| {pair['id']} | atelier refused: {pair['refused']} | | | | |")
            continue
        for method in ("atelier", "paste"):
            m = pair[method]
            lines.append(
                f"| {pair['id']} | {method} | {m['ssim']:.3f} | {m['ssim_torso']:.3f} | {m['psnr']:.1f} | "
                f"{m['lab_distance_in_garment']:.1f} |"
            )
    c = r["categories"]
    lines += ["", f"Category from the photo (encoder zero-shot): {c['accuracy']:.3f} of {c['n']} garments."]
    lines += [f"Wrong: {c['wrong']}"]
    if r["refusals"]:
        lines += ["", "Refused:"] + [f"- {x['person']} x {x['garment']}: {x['error']}" for x in r["refusals"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
