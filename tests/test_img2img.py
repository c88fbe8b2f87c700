"""The diffusers restyle engine, on a tiny random-init Stable Diffusion img2img pipeline built offline from configs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

from style.img2img import (  # noqa: E402  (after the optional-dependency skips)
    WEIGHTS_SETTING,
    DiffusersNotConfiguredError,
    Img2ImgOptions,
    Img2ImgRestyler,
    build_prompt,
)
from weights import WeightsNotFoundError  # noqa: E402

FAST = Img2ImgOptions(strength=0.8, steps=2, guidance=7.5, seed=0)


def _write_tokenizer(folder) -> None:
    """A character-level CLIP BPE vocabulary (no merges) that CLIPTokenizer.from_pretrained loads from disk."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    tokens = ["<|startoftext|>", "<|endoftext|>", *letters, *(f"{c}</w>" for c in letters)]
    tokens += [",</w>", ":</w>", "-</w>", ".</w>"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({token: i for i, token in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 77}))


def tiny_pipeline(tokenizer_dir):
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionImg2ImgPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    _write_tokenizer(tokenizer_dir)
    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            vocab_size=1000,
            max_position_embeddings=77,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    tokenizer = CLIPTokenizer.from_pretrained(str(tokenizer_dir))
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    pipeline = StableDiffusionImg2ImgPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    return tiny_pipeline(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="module")
def restyler(pipeline):
    return Img2ImgRestyler(pipeline)


def _photo(width: int, height: int, seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def test_tokenizer_from_disk_gives_real_ids(pipeline):
    ids = pipeline.tokenizer("red shirt").input_ids
    assert ids[0] == 0 and ids[-1] == 1
    assert len(ids) == len("redshirt") + 2  # one id per character, no unknowns
    assert pipeline.tokenizer.unk_token_id not in ids[1:-1]


@pytest.mark.parametrize("size", [(64, 64), (70, 50)])
def test_restyle_keeps_input_size(restyler, size):
    image = _photo(*size)
    out = restyler(image, build_prompt("vintage", "shirt", ["red"]), options=FAST)
    assert isinstance(out, Image.Image)
    assert out.size == image.size
    assert out.mode == "RGB"


def test_same_seed_same_output_different_seed_differs(restyler):
    image = _photo(64, 64)
    first = np.asarray(restyler(image, "a red shirt", options=FAST))
    again = np.asarray(restyler(image, "a red shirt", options=FAST))
    other = np.asarray(restyler(image, "a red shirt", options=Img2ImgOptions(strength=0.8, steps=2, seed=1)))
    np.testing.assert_array_equal(first, again)
    assert np.abs(first.astype(int) - other.astype(int)).max() > 0


def test_mask_keeps_outside_pixels_exactly(restyler):
    image = _photo(70, 50)
    mask = np.zeros((50, 70), dtype=np.float32)
    mask[10:40, 20:50] = 1.0
    out = np.asarray(restyler(image, "a blue coat", mask=mask, options=FAST)).astype(int)
    before = np.asarray(image).astype(int)
    outside = mask == 0
    assert np.abs(out[outside] - before[outside]).max() == 0
    assert np.abs(out[~outside] - before[~outside]).max() > 0


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"options": Img2ImgOptions(strength=1.5)}, "strength"),
        ({"options": Img2ImgOptions(strength=-0.1)}, "strength"),
        ({"options": Img2ImgOptions(steps=0)}, "steps"),
        ({"options": Img2ImgOptions(guidance=-1.0)}, "guidance"),
        ({"prompt": "   "}, "prompt"),
        ({"mask": np.ones((64, 63), dtype=np.float32)}, "mask"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_argument(restyler, kwargs, argument):
    call = {"image": _photo(64, 64), "prompt": "a shirt", **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        restyler(**call)


def test_from_pretrained_without_setting_says_which_setting(monkeypatch):
    monkeypatch.delenv(WEIGHTS_SETTING, raising=False)
    with pytest.raises(DiffusersNotConfiguredError, match=WEIGHTS_SETTING) as caught:
        Img2ImgRestyler.from_pretrained()
    assert "no diffusion weights ship with Atelier" in str(caught.value)


def test_from_pretrained_missing_folder_names_it(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-weights"
    with pytest.raises(DiffusersNotConfiguredError, match="no-such-weights"):
        Img2ImgRestyler.from_pretrained(str(missing))
    monkeypatch.setenv(WEIGHTS_SETTING, str(missing))
    with pytest.raises(DiffusersNotConfiguredError, match="no-such-weights"):
        Img2ImgRestyler.from_pretrained()


def test_weights_come_through_the_registry(tmp_path, monkeypatch):
    """The setting is the registry's override for its ``diffusion`` entry, so its config file works too."""
    monkeypatch.delenv(WEIGHTS_SETTING, raising=False)
    config = tmp_path / "weights.json"
    config.write_text(json.dumps({"diffusion": str(tmp_path / "elsewhere")}))
    monkeypatch.setenv("ATELIER_WEIGHTS_CONFIG", str(config))
    with pytest.raises(DiffusersNotConfiguredError, match="elsewhere, which does not exist") as caught:
        Img2ImgRestyler.from_pretrained()
    assert isinstance(caught.value.__cause__, WeightsNotFoundError)


def test_round_trip_through_a_local_folder(pipeline, restyler, tmp_path, monkeypatch):
    pipeline.save_pretrained(tmp_path)
    monkeypatch.setenv(WEIGHTS_SETTING, str(tmp_path))
    loaded = Img2ImgRestyler.from_pretrained()
    loaded.pipeline.set_progress_bar_config(disable=True)
    assert loaded.pipeline.dtype == torch.float32
    image = _photo(64, 64)
    expected = np.asarray(restyler(image, "a red shirt", options=FAST))
    np.testing.assert_array_equal(np.asarray(loaded(image, "a red shirt", options=FAST)), expected)


def test_build_prompt_expands_style_names_and_keeps_free_text():
    prompt = build_prompt("vintage", "shirt", ["red", "cotton"])
    assert prompt.startswith("a product photo of a red cotton shirt, vintage style: retro pieces from past decades")
    assert prompt.endswith(", studio lighting, plain background")
    assert build_prompt("70s").startswith("a product photo of a garment, vintage style:")
    assert build_prompt("moody goth look", "dress") == (
        "a product photo of a dress, moody goth look, studio lighting, plain background"
    )


# --- ControlNet: the garment's canny edges hold its shape ---------------------------------------------------
def tiny_controlnet():
    from diffusers import ControlNetModel

    torch.manual_seed(0)
    controlnet = ControlNetModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        in_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        cross_attention_dim=32,
        conditioning_embedding_out_channels=(16, 32),
    )
    # A fresh ControlNet's output convolutions are zero (it starts as a no-op); give them weights, as training would
    with torch.no_grad():
        for block in (*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block):
            block.weight.normal_(0, 0.05)
    return controlnet


@pytest.fixture(scope="module")
def saved(pipeline, tmp_path_factory):
    """The tiny pipeline and a tiny ControlNet, each saved to its own folder as a user would have them."""
    folder = tmp_path_factory.mktemp("weights")
    pipeline.save_pretrained(folder / "sd")
    tiny_controlnet().save_pretrained(folder / "controlnet")
    return folder


def _garment_photo() -> Image.Image:
    pixels = np.full((64, 64, 3), 240, np.uint8)
    pixels[12:52, 16:48] = (180, 30, 40)  # a red block: strong edges for canny
    return Image.fromarray(pixels)


def test_edges_are_the_garments_outline():
    from style.img2img import edges

    control = np.asarray(edges(_garment_photo()))
    assert control.shape == (64, 64, 3) and set(np.unique(control)) == {0, 255}
    assert control[12, 30].any() or control[11, 30].any()  # the top edge of the block
    assert not control[30, 30].any() and not control[2, 2].any()  # neither inside nor the flat backdrop


def test_controlnet_from_the_registry_makes_a_controlled_pipeline(saved, monkeypatch):
    from style.img2img import CONTROLNET_ID

    monkeypatch.setenv(WEIGHTS_SETTING, str(saved / "sd"))
    monkeypatch.setenv(f"ATELIER_WEIGHTS_{CONTROLNET_ID.upper()}", str(saved / "controlnet"))
    loaded = Img2ImgRestyler.from_pretrained()
    loaded.pipeline.set_progress_bar_config(disable=True)
    assert loaded.controlled and type(loaded.pipeline).__name__ == "StableDiffusionControlNetImg2ImgPipeline"
    image, mask = _garment_photo(), np.zeros((64, 64), np.float32)
    mask[12:52, 16:48] = 1
    held = np.asarray(loaded(image, "a red shirt", mask=mask, options=FAST)).astype(int)
    loose = np.asarray(loaded(image, "a red shirt", mask=mask, options=Img2ImgOptions(
        strength=0.8, steps=2, seed=0, control=0.0))).astype(int)
    assert held.shape == (64, 64, 3)
    assert np.abs(held[mask == 0] - np.asarray(image).astype(int)[mask == 0]).max() == 0
    assert np.abs(held - loose).max() > 0  # the control image reaches the UNet


def test_without_a_controlnet_setting_the_pipeline_is_plain(saved, monkeypatch):
    monkeypatch.setenv(WEIGHTS_SETTING, str(saved / "sd"))
    monkeypatch.delenv("ATELIER_WEIGHTS_CONTROLNET", raising=False)
    assert not Img2ImgRestyler.from_pretrained().controlled


def test_a_missing_controlnet_folder_is_an_error_not_silence(saved, tmp_path, monkeypatch):
    monkeypatch.setenv(WEIGHTS_SETTING, str(saved / "sd"))
    monkeypatch.setenv("ATELIER_WEIGHTS_CONTROLNET", str(tmp_path / "no-controlnet"))
    with pytest.raises(WeightsNotFoundError, match="no-controlnet"):
        Img2ImgRestyler.from_pretrained()


def test_control_out_of_range_is_refused(restyler):
    with pytest.raises(ValueError, match="`control`"):
        restyler(_photo(64, 64), "a shirt", options=Img2ImgOptions(control=3.0))
