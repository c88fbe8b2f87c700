"""The open_clip path, for users with their own checkpoint: a tiny random-init architecture registered from a
config, built through the same factory and held to the same contract."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from recsys import create_encoder

TINY = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    import open_clip

    folder = tmp_path_factory.mktemp("open_clip")
    (folder / "atelier-tiny-test.json").write_text(json.dumps(TINY))
    open_clip.add_model_config(folder)
    torch.manual_seed(0)
    return create_encoder("open_clip:atelier-tiny-test")


def test_open_clip_keeps_the_contract(tiny_clip):
    images = [Image.new("RGB", (60, 80), colour) for colour in ("red", "navy", "white")]
    image_emb = tiny_clip.encode_images(images, batch_size=2)
    text_emb = tiny_clip.encode_texts(["red dress", "navy shirt"])
    assert image_emb.shape == (3, 32) and text_emb.shape == (2, 32) and image_emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(image_emb, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(text_emb, axis=1), 1, atol=1e-5)


def test_open_clip_checkpoint_round_trip(tiny_clip, tmp_path):
    """A user's checkpoint file loads through `pretrained=` and reproduces the model that saved it."""
    checkpoint = tmp_path / "tiny.pt"
    torch.save(tiny_clip.model.state_dict(), checkpoint)
    reloaded = create_encoder("open_clip:atelier-tiny-test", pretrained=checkpoint)
    texts = ["a red dress"]
    np.testing.assert_allclose(tiny_clip.encode_texts(texts), reloaded.encode_texts(texts), atol=1e-5)


def test_unknown_architecture_and_backend():
    with pytest.raises(ValueError, match="unknown open_clip model"):
        create_encoder("open_clip:NoSuchNet")
    with pytest.raises(ValueError, match="unknown encoder"):
        create_encoder("fashion-clip-9000")
    with pytest.raises(ValueError, match="backend must be one of"):
        create_encoder(backend="tpu")
