"""Restyles of garments the restyle benchmark never uses, each in a style drawn at random: the kind of sample an
outside check takes (its own garments, styles drawn unevenly), for a blind judge.

    OMP_NUM_THREADS=2 .venv/bin/python bench/restyle_drawn.py --tiles DIR [--n 40] [--seed 0]
    .venv/bin/python bench/restyle_drawn.py --tiles DIR --judged ANSWERS.json   # score the judge

- The garments: product photos under ../shared/data/tryon (``cloth/`` and ``garment/`` folders, not the people
  photos) other than the 8 of ``bench/restyle_quality.py``, ``--n`` of them drawn without replacement with
  ``--seed``; each gets one of the 20 styles, drawn with replacement (so some styles come up more than once and
  some not at all, as in an outside check). Recipe engine, full strength, the garment cut out as a user's photo
  would be (``style.restyle`` with no mask).
- ``--tiles DIR``: each restyle beside its photo as DIR/tiles/<shuffled id>.png, the answers in DIR/key.json.
  A photo the engine refuses (no garment separates) is counted and left out.
- ``--judged``: the judge's {id: {"style", "real", "recognisable"}} scored against DIR/key.json (the same scoring as
  ``bench/restyle_quality.py``), with per-style and per-garment counts, into bench/results/restyle_drawn.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from atelier_io import data_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_report  # noqa: E402
from restyle_quality import GARMENTS, score, sized  # noqa: E402

from style import RECIPES, RestyleError, restyle  # noqa: E402

PHOTO_FOLDERS = ("cloth", "garment")  # product photos; the other folders hold photos of people


def draw(data: Path, n: int, seed: int) -> list[tuple[Path, str]]:
    """``n`` (photo, style) pairs: photos outside the benchmark's garments, styles drawn with replacement."""
    photos = sorted(p for p in data.glob("tryon/*/*/*.jpg") if p.parent.name in PHOTO_FOLDERS
                    and p.stem not in GARMENTS)
    if n < 1:
        sys.exit(f"--n must be at least 1, got {n}")
    if n > len(photos):
        sys.exit(f"--n {n}: only {len(photos)} garment photos outside the benchmark's under {data}/tryon")
    rng = random.Random(seed)
    return [(photo, rng.choice(list(RECIPES))) for photo in rng.sample(photos, n)]


def write_tiles(pairs: list[tuple[Path, str]], folder: Path, seed: int) -> dict:
    (folder / "tiles").mkdir(parents=True, exist_ok=True)
    ids = random.Random(seed + 1).sample(range(100, 1000), len(pairs))
    key, refused = {}, []
    for tile_id, (photo, style) in zip(ids, pairs, strict=True):
        before = Image.open(photo).convert("RGB")
        try:
            after = restyle(before, style).image
        except RestyleError as err:
            refused.append({"garment": photo.stem, "style": style, "reason": str(err)})
            continue
        before = before.resize(after.size)  # restyle works on the photo downscaled to its largest side
        pair = Image.new("RGB", (after.width * 2, after.height), "white")
        pair.paste(before, (0, 0))
        pair.paste(after, (after.width, 0))
        sized(pair, 1200).save(folder / "tiles" / f"{tile_id}.png")
        key[str(tile_id)] = {"garment": photo.stem, "style": style}
    (folder / "key.json").write_text(json.dumps(key, indent=1))
    return {"drawn": len(pairs), "tiles": len(key), "refused": refused}


def markdown(report: dict) -> str:
    j = report["judgement"]
    lines = [f"# Restyle: garments outside the benchmark, styles drawn at random ({report['date']})", "",
             f"{j['n']} restyles judged blind (seed {report['seed']}; {len(report['refused'])} refused). "
             "See the script's docstring for the method.", "",
             "| measure | value |", "|---|---|",
             f"| intended style named among the 20 | {j['style_named']:.0%} |",
             f"| reads as a real fabric, print or finish | {j['real_fabric']:.0%} |",
             f"| the garment still recognisable | {j['recognisable']:.0%} |", "",
             "Per style, named: " + ", ".join(f"{k} {v}" for k, v in j["style_named_per_style"].items()), ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(data_dir()))
    ap.add_argument("--tiles", required=True, help="the folder for the tiles and their key")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--judged", help="a blind judge's answers to score (JSON)")
    ap.add_argument("--out", default="bench/results/restyle_drawn.json")
    args = ap.parse_args()
    folder = Path(args.tiles)
    if args.judged:
        for needed in (Path(args.judged), folder / "key.json", folder / "drawn.json"):
            if not needed.is_file():
                sys.exit(f"{needed} not found: --judged scores the answers against the key that --tiles DIR was "
                         "written with (run without --judged first)")
        report = {**json.loads((folder / "drawn.json").read_text()),
                  "judgement": score(Path(args.judged), folder / "key.json")}
        write_report(Path(args.out), report, markdown(report))
        return
    made = write_tiles(draw(Path(args.data), args.n, args.seed), folder, args.seed)
    drawn = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "seed": args.seed, **made}
    (folder / "drawn.json").write_text(json.dumps(drawn, indent=1))
    print(f"{made['tiles']} tiles in {folder / 'tiles'} ({len(made['refused'])} refused)")


if __name__ == "__main__":
    main()
