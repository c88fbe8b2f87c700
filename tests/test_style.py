"""The neural restyle engine and restyle() on the demo catalog's real garment photos, and its refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from style import PALETTES, STYLES, RestyleError, canonical_style, reference_image, restyle

GARMENTS = Path(__file__).resolve().parents[1] / "ui" / "demo_catalog" / "tryon" / "garments"
POLO = GARMENTS / "09163_00.jpg"


@pytest.fixture(scope="module")
def polo() -> Image.Image:
    return Image.open(POLO).convert("RGB")


def test_every_style_has_a_palette_and_a_reproducible_reference():
    assert {s.name for s in STYLES} == set(PALETTES)
    for name in ("vintage", "minimalist", "boho", "streetwear", "luxe", "preppy", "grunge", "sporty", "gothic",
                 "y2k", "cottagecore"):
        assert canonical_style(name) == name
    first, again = reference_image("boho"), reference_image("boho")
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(reference_image("gothic")))


def test_restyle_changes_only_the_garment(polo):
    out = restyle(polo, "70s")  # a synonym of vintage
    before, after = np.asarray(polo).astype(int), np.asarray(out.image).astype(int)
    outside, inside = out.mask == 0, out.mask > 0.9
    assert out.image.size == polo.size
    assert np.abs(after - before)[outside].max() <= 2
    assert np.abs(after - before)[inside].mean() > 10


def test_strength_and_colour_controls(polo):
    weak = restyle(polo, "gothic", strength=0.1)
    strong = restyle(polo, "gothic", strength=1.0)
    before = np.asarray(polo).astype(float)
    inside = strong.mask > 0.9
    assert np.abs(np.asarray(weak.image) - before)[inside].mean() < np.abs(np.asarray(strong.image) - before)[
        inside
    ].mean()
    kept = restyle(polo, "y2k", preserve_colour=True)
    import cv2

    chroma = lambda image: cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2LAB)[..., 1:].astype(float)  # noqa: E731
    assert np.abs(chroma(kept.image) - chroma(polo))[inside].mean() < 6


def test_reference_picture_and_taste(polo):
    by_picture = restyle(polo, reference_image("coastal"))
    taste = restyle(polo, [Image.open(GARMENTS / "04469_00.jpg"), Image.open(GARMENTS / "053319_1.jpg")])
    assert by_picture.image.size == taste.image.size == polo.size


@pytest.mark.parametrize(
    "style, kwargs, message",
    [
        ("gotik", {}, "did you mean 'gothic'"),
        ("vintagee", {}, None),  # close enough: read as vintage
        ("qwertyuiop", {}, "unknown style"),
        (42, {}, "give a style name"),
        ("boho", {"strength": 1.5}, "strength must be"),
        ("boho", {"strength": "high"}, "strength must be"),
        ("boho", {"engine": "gan"}, "engine must be one of"),
    ],
)
def test_bad_requests(polo, style, kwargs, message):
    if message is None:
        assert restyle(polo, style, **kwargs).image.size == polo.size
        return
    with pytest.raises(RestyleError, match=message):
        restyle(polo, style, **kwargs)


def test_wrong_type_and_huge_images(polo):
    with pytest.raises(RestyleError, match="expected a PIL image"):
        restyle("shirt.jpg", "boho")
    big = polo.resize((3000, 4000))
    assert max(restyle(big, "boho").image.size) == 2048


def test_no_garment_to_restyle():
    with pytest.raises(RestyleError, match="image:"):
        restyle(Image.new("RGB", (400, 500), (200, 200, 200)), "boho")


def test_diffusers_engine_without_weights_names_the_setting(polo, monkeypatch):
    from style.img2img import DiffusersNotConfiguredError

    monkeypatch.delenv("ATELIER_WEIGHTS_DIFFUSION", raising=False)
    with pytest.raises(DiffusersNotConfiguredError, match="ATELIER_WEIGHTS_DIFFUSION"):
        restyle(polo, "boho", engine="diffusers")


def test_cli_restyle_file_and_folder(tmp_path, capsys):
    from atelier_cli import main

    assert main(["restyle", "--image", str(POLO), "--style", "boho", "--out", str(tmp_path / "o.png")]) == 0
    assert Image.open(tmp_path / "o.png").size == Image.open(POLO).size
    assert main(["restyle", "--image", str(GARMENTS), "--style", "grunge", "--out", str(tmp_path / "all")]) == 0
    assert len(list((tmp_path / "all").glob("*.png"))) == len(list(GARMENTS.glob("*.jpg")))
    assert main(["restyle", "--image", str(POLO), "--style", "nope", "--out", str(tmp_path / "x.png")]) == 2
    assert "unknown style" in capsys.readouterr().err


def test_cli_restyle_in_a_shoppers_taste(tmp_path, capsys):
    """--user: the style of the photos of the items in the shopper's history, read from the store."""
    import pandas as pd

    from atelier_cli import main
    from recsys import Store

    db = tmp_path / "shop.db"
    items = pd.DataFrame({"id": ["04469_00", "053319_1", "09163_00"], "title": ["wrap top", "dress", "polo"]})
    interactions = pd.DataFrame(
        {"user_id": ["u1", "u1"], "item_id": ["04469_00", "053319_1"], "ts": ["2026-01-01", "2026-02-01"]}
    )
    Store(str(db)).ingest(items=items, interactions=interactions, image_dir=GARMENTS)
    out = tmp_path / "mine.png"
    args = ["restyle", "--image", str(POLO), "--user", "u1", "--db", str(db), "--out", str(out)]
    assert main(args) == 0
    assert Image.open(out).size == Image.open(POLO).size
    assert main([*args[:4], "nobody", *args[5:]]) == 2
    assert "nobody" in capsys.readouterr().err
