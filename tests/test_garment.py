"""Garment analysis: cut-out quality and landmark geometry on drawn garments, errors, and real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from tryon.garment import GARMENT_CATEGORIES, GarmentAnalyzer, GarmentError
from weights.registry import WeightsNotFoundError

# Front-view silhouettes on a 480x640 canvas, (x, y) polygon corners.
SHAPES = {
    "tshirt": [(195, 60), (150, 75), (70, 170), (110, 205), (150, 170), (150, 560), (330, 560), (330, 170),
               (370, 205), (410, 170), (330, 75), (285, 60), (240, 85)],
    "tank": [(170, 60), (200, 60), (210, 130), (270, 130), (280, 60), (310, 60), (320, 150), (345, 200),
             (345, 560), (135, 560), (135, 200), (160, 150)],
    "trousers": [(150, 40), (330, 40), (345, 250), (340, 600), (255, 600), (240, 260), (225, 600), (140, 600),
                 (135, 250)],
    "skirt": [(170, 60), (310, 60), (360, 500), (120, 500)],
    "dress": [(200, 40), (160, 55), (100, 120), (130, 150), (165, 125), (170, 300), (110, 600), (370, 600),
              (310, 300), (315, 125), (350, 150), (380, 120), (320, 55), (280, 40), (240, 60)],
}


def draw(shape: str, fill=(40, 90, 160), outline=None) -> tuple[np.ndarray, np.ndarray]:
    """A studio shot of a drawn garment on white (lightly textured fabric) and its true mask."""
    polygon = np.array(SHAPES[shape], np.int32)
    image = np.full((640, 480, 3), 255, np.uint8)
    mask = np.zeros((640, 480), np.uint8)
    cv2.fillPoly(image, [polygon], fill)
    cv2.fillPoly(mask, [polygon], 1)
    if outline is not None:
        cv2.polylines(image, [polygon], True, outline, 3)
    texture = np.random.default_rng(0).normal(0, 6, image.shape)
    image = np.where(mask[..., None] > 0, np.clip(image + texture, 0, 255), image).astype(np.uint8)
    return image, mask.astype(bool)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


@pytest.fixture(scope="module")
def u2netp() -> GarmentAnalyzer:
    try:
        return GarmentAnalyzer.from_pretrained()
    except WeightsNotFoundError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def classic() -> GarmentAnalyzer:
    return GarmentAnalyzer(None)


@pytest.fixture(scope="module")
def analysed(u2netp):
    """Each drawn garment analysed once through the U2-Net-p path."""
    categories = {"tshirt": "upper", "tank": "upper", "trousers": "lower", "skirt": "lower", "dress": "dress"}
    return {shape: u2netp(Image.fromarray(draw(shape)[0]), cat) for shape, cat in categories.items()}


@pytest.mark.parametrize("shape", ["tshirt", "trousers"])
def test_u2netp_cutout_matches_drawn_mask(u2netp, shape):
    image, truth = draw(shape)
    mask, method = u2netp.cut_out(image)
    assert method == "u2netp"
    assert iou(mask, truth) > 0.9


@pytest.mark.parametrize("shape", ["tshirt", "tank", "trousers"])
def test_classic_cutout_matches_drawn_mask(classic, shape):
    image, truth = draw(shape)
    mask, method = classic.cut_out(image)
    assert method == "classic"
    assert iou(mask, truth) > 0.9


def test_white_shirt_on_white_is_cut_out(u2netp, classic):
    image, truth = draw("tshirt", fill=(252, 252, 252), outline=(205, 205, 205))
    for analyzer in (u2netp, classic):
        assert iou(analyzer.cut_out(image)[0], truth) > 0.9


def test_garment_fields(analysed):
    garment = analysed["tshirt"]
    h, w = garment.alpha.shape
    assert garment.image.shape == (h, w, 3) and garment.image.dtype == np.uint8
    assert garment.alpha.dtype == np.float32 and garment.alpha.min() >= 0.0 and garment.alpha.max() <= 1.0
    # Cropped to the garment plus a small margin: the drawn T-shirt is 341x501 pixels.
    assert 341 <= w <= 341 * 1.1 and 501 <= h <= 501 * 1.1
    assert (garment.category, garment.cutout, garment.legs) == ("upper", "u2netp", False)
    assert all(0 <= x < w and 0 <= y < h for x, y in garment.keypoints.values())


def test_tshirt_keypoints(analysed):
    garment = analysed["tshirt"]
    k = garment.keypoints
    for side in "lr":
        assert k[f"neck_{side}"][1] < k[f"shoulder_{side}"][1] < k[f"armpit_{side}"][1]
        assert k[f"armpit_{side}"][1] < k[f"waist_{side}"][1] < k[f"hem_{side}"][1]
        assert k[f"sleeve_{side}"][1] > k[f"shoulder_{side}"][1]
    assert k["sleeve_l"][0] < k["shoulder_l"][0] < k["neck_l"][0] < k["neck_r"][0] < k["shoulder_r"][0]
    assert k["shoulder_r"][0] < k["sleeve_r"][0]
    assert 0.15 < garment.sleeves < 0.7  # short sleeves


def test_tank_top_has_no_sleeves(analysed):
    garment = analysed["tank"]
    k = garment.keypoints
    assert garment.sleeves == 0.0
    for side in "lr":
        assert k[f"sleeve_{side}"] == k[f"shoulder_{side}"]
        assert k[f"shoulder_{side}"][1] < k[f"armpit_{side}"][1] < k[f"hem_{side}"][1]
    assert k["armpit_l"][0] < k["shoulder_l"][0] and k["shoulder_r"][0] < k["armpit_r"][0]


def test_trousers_have_legs(analysed):
    garment = analysed["trousers"]
    k = garment.keypoints
    assert garment.legs and garment.sleeves == 0.0
    assert k["hem_l"][0] < k["hem_li"][0] < k["crotch"][0] < k["hem_ri"][0] < k["hem_r"][0]
    assert k["waist_l"][1] < k["hip_l"][1] < k["crotch"][1] < k["hem_l"][1]
    # The drawn crotch is at (240, 260) before the crop; the crop moves both by the same offset.
    assert abs((k["crotch"][1] - k["waist_l"][1]) - (260 - 40)) < 15


def test_skirt_has_no_legs(analysed):
    garment = analysed["skirt"]
    k = garment.keypoints
    assert not garment.legs and "hem_li" not in k
    assert k["hem_l"][0] < k["crotch"][0] < k["hem_r"][0]
    assert k["hem_r"][0] - k["hem_l"][0] > k["waist_r"][0] - k["waist_l"][0]  # the drawn skirt flares


def test_dress_keypoints(analysed):
    garment = analysed["dress"]
    k = garment.keypoints
    assert 0.1 < garment.sleeves < 0.7
    assert k["armpit_l"][1] < k["waist_l"][1] < k["hem_l"][1]
    assert k["hem_r"][0] - k["hem_l"][0] > k["armpit_r"][0] - k["armpit_l"][0]


def test_uniform_image_is_refused(u2netp, classic):
    for analyzer in (u2netp, classic):
        with pytest.raises(GarmentError, match="no separable foreground"):
            analyzer(Image.new("RGB", (480, 640), (250, 250, 250)), "upper")


def test_noise_is_refused(u2netp, classic):
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 256, (640, 480, 3), dtype=np.uint8))
    with pytest.raises(GarmentError, match="no separable foreground"):
        u2netp(noise, "upper")
    with pytest.raises(GarmentError, match="not plain"):
        classic(noise, "upper")


def test_bad_category_names_allowed_and_received(classic):
    with pytest.raises(GarmentError) as err:
        classic(Image.fromarray(draw("tshirt")[0]), "shoes")
    assert "'shoes'" in str(err.value) and all(cat in str(err.value) for cat in GARMENT_CATEGORIES)


def test_missing_weights_are_not_silently_replaced(monkeypatch, tmp_path):
    monkeypatch.setenv("ATELIER_WEIGHTS_U2NETP", str(tmp_path / "missing.onnx"))
    with pytest.raises(WeightsNotFoundError):
        GarmentAnalyzer.from_pretrained()


@pytest.mark.data
@pytest.mark.parametrize(("name", "category", "sleeves", "legs"), [
    ("idm_vton_examples/cloth/09176_00.jpg", "upper", (0.8, 1.0), False),  # long sleeves hanging down
    ("ootdiffusion_examples/garment/051946_1.jpg", "lower", (0.0, 0.0), True),  # jeans
    ("ootdiffusion_examples/garment/053319_1.jpg", "dress", (0.0, 0.0), False),  # sleeveless dress
])
def test_real_garments(u2netp, data_dir, name, category, sleeves, legs):
    path = data_dir / "tryon" / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    garment = u2netp(Image.open(path).convert("RGB"), category)
    assert sleeves[0] <= garment.sleeves <= sleeves[1] and garment.legs == legs
    k = garment.keypoints
    if category == "lower":
        assert k["hem_l"][0] < k["crotch"][0] < k["hem_r"][0] and k["waist_l"][1] < k["crotch"][1]
    else:
        assert k["neck_l"][0] < k["neck_r"][0] and k["shoulder_l"][1] < k["armpit_l"][1] < k["hem_l"][1]


def test_a_white_tee_on_a_retouched_white_backdrop_is_cut_out_whole(classic):
    """A white tee differs from a backdrop retouched to one white by 0-8 Lab units, so what plainly differs from
    it is the tee in shreds; what the border cannot reach through the backdrop's exact colour is the tee."""
    polygon = np.array(SHAPES["tshirt"], np.int32)
    image = np.full((640, 480, 3), 246, np.uint8)
    truth = np.zeros((640, 480), np.uint8)
    cv2.fillPoly(truth, [polygon], 1)
    blotches = cv2.resize(np.random.default_rng(3).normal(size=(16, 12)), (480, 640), interpolation=cv2.INTER_CUBIC)
    cloth = np.where(blotches > 0.3, 253, 248).astype(np.uint8)  # the lit folds plainly whiter, the rest barely
    image[truth > 0] = cloth[truth > 0, None]
    cv2.rectangle(image, (200, 250), (280, 380), (200, 40, 60), -1)  # its print
    mask, method = classic.cut_out(image)
    assert method == "enclosed"
    assert iou(mask, truth.astype(bool)) > 0.9
