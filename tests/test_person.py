"""Person analysis on the demo catalog's real photos (shipped in the repo), and its refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tryon.person import PersonAnalyzer, PersonError

PEOPLE = Path(__file__).resolve().parents[1] / "ui" / "demo_catalog" / "tryon" / "people"


@pytest.fixture(scope="module")
def analyzer() -> PersonAnalyzer:
    return PersonAnalyzer.from_pretrained()


def photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(PEOPLE / f"{name}.jpg").convert("RGB"))


def test_upper_body_photo(analyzer):
    image = photo("00055_00")
    person = analyzer(image, "upper")
    p = person.points
    assert p["shoulder_l"][0] < p["shoulder_r"][0] and p["hip_l"][0] < p["hip_r"][0]
    assert p["nose"][1] < p["shoulder_l"][1] < p["hip_l"][1]
    assert person.mask.shape == image.shape[:2] and person.mask[int(p["hip_l"][1]), int(p["hip_l"][0])] > 0.5
    head_rows = np.flatnonzero(person.head.any(axis=1))
    assert head_rows.size and head_rows.max() < min(p["shoulder_l"][1], p["shoulder_r"][1])
    assert 0.01 < person.skin.mean() < 0.4  # face, neck and arms, not the clothes or the background
    assert person.torso_length > person.shoulder_width * 0.8


def test_mirrored_photo_keeps_image_sides(analyzer):
    person = analyzer(photo("00055_00")[:, ::-1].copy(), "upper")
    assert person.points["shoulder_l"][0] < person.points["shoulder_r"][0]


def test_full_body_allows_bottoms(analyzer):
    person = analyzer(photo("049447_0"), "lower")
    assert person.points["knee_l"][1] > person.points["hip_l"][1]


@pytest.mark.parametrize(
    "make, category, message",
    [
        (lambda: np.full((600, 400, 3), 200, np.uint8), "upper", "no person"),
        (lambda: np.random.default_rng(0).integers(0, 255, (600, 400, 3), dtype=np.uint8), "upper", "no person"),
        (lambda: photo("00055_00")[:330], "upper", "cut off"),  # head and shoulders only
        (lambda: photo("00055_00"), "lower", "cut off"),  # no knees for trousers
        (lambda: np.hstack([photo("00055_00"), photo("00034_00")]), "upper", "several people"),
    ],
)
def test_refusals(analyzer, make, category, message):
    with pytest.raises(PersonError, match=message):
        analyzer(make(), category)


def test_too_small(analyzer):
    canvas = np.full((2400, 1800, 3), 255, np.uint8)
    small = np.asarray(Image.fromarray(photo("00034_00")).resize((336, 450)))
    canvas[1000:1450, 800:1136] = small
    with pytest.raises(PersonError, match="too small"):
        analyzer(canvas, "upper")


def test_back_view_rule():
    from tryon.person import _check_facing

    landmarks = np.zeros((33, 3))
    landmarks[11] = (100, 100, 1)  # wearer's left shoulder on the image left: their back is to the camera
    landmarks[12] = (200, 100, 1)
    mask = np.zeros((400, 300), np.float32)
    mask[50:350, 80:220] = 1
    with pytest.raises(PersonError, match="face away"):
        _check_facing(landmarks, faces=0, mask=mask)
    _check_facing(landmarks, faces=1, mask=mask)  # a face is visible: the labels flipped, not the person
    mask[:60] = 1
    _check_facing(landmarks, faces=0, mask=mask)  # head out of frame: no face is expected
