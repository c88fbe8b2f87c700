"""Restyling real garment photos (../shared/data/tryon) into the named styles: speed, structure kept, style gained.

    OMP_NUM_THREADS=2 .venv/bin/python bench/restyle_quality.py [--data ../shared/data] [--no-sd15]

- Neural engine seconds per image at 512 px (long side) and at 768x1024, the restyle alone (garment mask
  given) and with the cut-out; p50/p95 over every garment x style.
- Inside the garment mask: SSIM of the luminance (original vs restyled) and edge F1 (Canny edges of the
  restyled photo against the original's, 2 px tolerance): the silhouette and seams kept.
- Style adherence: distance of the output's Magenta style vector to the target's, before (the original
  photo) and after; and the encoder's cosine between the photo and the style's description, before and after.
- Pixels outside the mask: the largest change on 8-bit channels.
- Diffusers: one img2img UNet step of an SD-1.5-sized UNet with random weights at 512 px (what a real
  model's step costs on this CPU), and a 2-step run of a tiny random pipeline (plumbing only).
Writes bench/results/restyle_quality.{json,md} and docs/restyle_gallery.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity

from atelier_io import data_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_model, write_report  # noqa: E402

from style import NeuralRestyler, get_style, reference_image  # noqa: E402
from style.restyle import garment_mask  # noqa: E402

STYLES = ("vintage", "minimalist", "boho", "streetwear", "luxe", "preppy", "grunge", "sporty", "gothic", "y2k",
          "cottagecore")
GARMENTS = ("09163_00", "09164_00", "04469_00", "00470_00", "09263_00", "14673_00", "051946_1", "053319_1")
GALLERY_STYLES = ("vintage", "boho", "streetwear", "luxe", "gothic", "cottagecore")


def edge_f1(original: np.ndarray, restyled: np.ndarray, mask: np.ndarray) -> float:
    grey = [cv2.Canny(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), 60, 160) > 0 for x in (original, restyled)]
    ours, theirs = (g & mask for g in grey)
    near = np.ones((5, 5), np.uint8)
    precision = (theirs & cv2.dilate(ours.astype(np.uint8), near).astype(bool)).sum() / max(theirs.sum(), 1)
    recall = (ours & cv2.dilate(theirs.astype(np.uint8), near).astype(bool)).sum() / max(ours.sum(), 1)
    return float(2 * precision * recall / max(precision + recall, 1e-9))


def masked_ssim(original: np.ndarray, restyled: np.ndarray, mask: np.ndarray) -> float:
    grey = [cv2.cvtColor(x, cv2.COLOR_RGB2LAB)[..., 0] for x in (original, restyled)]
    _, full = structural_similarity(grey[0], grey[1], data_range=255, full=True)
    return float(full[mask].mean())


def sized(image: Image.Image, side: int) -> Image.Image:
    scale = side / max(image.size)
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)


def sd15_step() -> dict:
    """One UNet forward (classifier-free guidance: batch 2) of an SD-1.5-sized UNet with random weights."""
    import torch
    from diffusers import UNet2DConditionModel

    start = time.perf_counter()
    unet = UNet2DConditionModel(
        sample_size=64, cross_attention_dim=768, block_out_channels=(320, 640, 1280, 1280), layers_per_block=2,
        attention_head_dim=8,
    ).eval()
    built = time.perf_counter() - start
    latents, text = torch.randn(2, 4, 64, 64), torch.randn(2, 77, 768)
    with torch.no_grad():
        unet(latents, 500, encoder_hidden_states=text)  # warm-up
        start = time.perf_counter()
        unet(latents, 500, encoder_hidden_states=text)
    return {"params_m": sum(p.numel() for p in unet.parameters()) / 1e6, "step_s": time.perf_counter() - start,
            "build_s": built}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(data_dir()))
    ap.add_argument("--no-sd15", action="store_true", help="skip the SD-1.5-sized UNet step (3.4 GB, a minute)")
    ap.add_argument("--out", default="bench/results/restyle_quality.json")
    ap.add_argument("--gallery", default="docs/restyle_gallery.png")
    args = ap.parse_args()
    found = {p.stem: p for p in Path(args.data, "tryon").glob("*/*/*.jpg")}
    missing = [g for g in GARMENTS if g not in found]
    if missing:
        sys.exit(f"garment photos {missing} not found under {args.data}/tryon")
    restyler = NeuralRestyler.from_pretrained()
    from recsys import create_encoder

    encoder = create_encoder()
    targets = {s: restyler.style_vector(reference_image(s)) for s in STYLES}
    texts = dict(zip(STYLES, encoder.encode_texts([get_style(s).description for s in STYLES]), strict=True))
    load = os.getloadavg()[0]
    rows, times = [], {"512": [], "768x1024": [], "cutout_768x1024": []}
    tiles = []
    for gid in GARMENTS:
        photo = Image.open(found[gid]).convert("RGB")
        start = time.perf_counter()
        mask = garment_mask(photo)
        times["cutout_768x1024"].append(time.perf_counter() - start)
        small = sized(photo, 512)
        small_mask = cv2.resize(mask, small.size, interpolation=cv2.INTER_NEAREST)
        rgb, inside = np.asarray(photo), mask > 0.5
        own = restyler.style_vector(photo)
        before_emb = encoder.encode_images([photo])[0]
        row_tiles = [photo]
        for name in STYLES:
            start = time.perf_counter()
            restyler(small, targets[name], small_mask)
            times["512"].append(time.perf_counter() - start)
            start = time.perf_counter()
            out = restyler(photo, targets[name], mask).image
            times["768x1024"].append(time.perf_counter() - start)
            result = np.asarray(out)
            after = restyler.style_vector(out)
            rows.append({
                "garment": gid, "style": name,
                "ssim_luminance": masked_ssim(rgb, result, inside),
                "edge_f1": edge_f1(rgb, result, inside),
                "outside_max_diff": int(np.abs(result.astype(int) - rgb.astype(int))[mask == 0].max()),
                "style_distance_before": float(np.linalg.norm(own - targets[name])),
                "style_distance_after": float(np.linalg.norm(after - targets[name])),
                "text_score_before": float(before_emb @ texts[name]),
                "text_score_after": float(encoder.encode_images([out])[0] @ texts[name]),
            })
            if name in GALLERY_STYLES:
                row_tiles.append(out)
        tiles.append(row_tiles)
    gallery(tiles, Path(args.gallery))
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "load_average_at_start": load,
        "garments": list(GARMENTS), "styles": list(STYLES),
        "seconds": {k: {"p50": float(np.median(v)), "p95": float(np.percentile(v, 95))} for k, v in times.items()},
        "summary": summary(rows),
        "diffusers": diffusers_costs(skip_sd15=args.no_sd15),
        "rows": rows,
    }
    write_report(Path(args.out), report, markdown(report))


def summary(rows: list[dict]) -> dict:
    def mean(key: str) -> float:
        return float(np.mean([r[key] for r in rows]))

    return {
        "n": len(rows),
        "ssim_luminance": mean("ssim_luminance"),
        "edge_f1": mean("edge_f1"),
        "edge_f1_min": float(min(r["edge_f1"] for r in rows)),
        "outside_max_diff": int(max(r["outside_max_diff"] for r in rows)),
        "style_distance_before": mean("style_distance_before"),
        "style_distance_after": mean("style_distance_after"),
        "moved_toward_style": float(np.mean([r["style_distance_after"] < r["style_distance_before"] for r in rows])),
        "text_score_before": mean("text_score_before"),
        "text_score_after": mean("text_score_after"),
        "text_score_up": float(np.mean([r["text_score_after"] > r["text_score_before"] for r in rows])),
    }


def diffusers_costs(skip_sd15: bool) -> dict:
    out = {}
    if not skip_sd15:
        out["sd15_unet_step"] = sd15_step()
    return out


def gallery(tiles: list[list[Image.Image]], path: Path, tile: tuple[int, int] = (144, 192)) -> None:
    sheet = Image.new("RGB", (len(tiles[0]) * tile[0], len(tiles) * tile[1]), "white")
    for r, row in enumerate(tiles):
        for c, image in enumerate(row):
            sheet.paste(image.resize(tile), (c * tile[0], r * tile[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def markdown(r: dict) -> str:
    s, t = r["summary"], r["seconds"]
    lines = [
        f"# Restyle ({r['date']}, {r['machine']}, load {r['load_average_at_start']:.1f} at start)",
        "",
        f"{s['n']} restyles: {len(r['garments'])} real garment photos x {len(r['styles'])} named styles, neural engine,"
        " default strength 0.8. Gallery: docs/restyle_gallery.png.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| seconds per 512 px image (restyle, mask given) | p50 {t['512']['p50']:.3f}, p95 {t['512']['p95']:.3f} |",
        f"| seconds per 768x1024 image (restyle, mask given) | p50 {t['768x1024']['p50']:.3f}, "
        f"p95 {t['768x1024']['p95']:.3f} |",
        f"| seconds for the garment cut-out at 768x1024 | p50 {t['cutout_768x1024']['p50']:.3f} |",
        f"| largest change outside the garment mask (8-bit) | {s['outside_max_diff']} |",
        f"| SSIM of luminance inside the mask | {s['ssim_luminance']:.3f} |",
        f"| edge F1 inside the mask (mean / worst) | {s['edge_f1']:.3f} / {s['edge_f1_min']:.3f} |",
        f"| style-vector distance to the target, before -> after | {s['style_distance_before']:.2f} -> "
        f"{s['style_distance_after']:.2f} (closer in {s['moved_toward_style']:.0%}) |",
        f"| encoder score for the style's description, before -> after | {s['text_score_before']:.3f} -> "
        f"{s['text_score_after']:.3f} (higher in {s['text_score_up']:.0%}) |",
    ]
    if "sd15_unet_step" in r["diffusers"]:
        d = r["diffusers"]["sd15_unet_step"]
        lines.append(f"| diffusers: one UNet step, SD-1.5 size ({d['params_m']:.0f} M params, random weights), "
                     f"512 px, batch 2 | {d['step_s']:.2f} s |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
