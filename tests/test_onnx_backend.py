"""OnnxEncoder against TorchEncoder: parity, the encoder contract, and the export cache.

No trained weights needed: the heads are random (seeded), the backbones are the packaged ones. Exporting
takes a few seconds on a small CPU, so it happens once per module and the cache tests copy that export.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from recsys import onnx_backend
from recsys.backends import TorchEncoder
from recsys.encoder import EncoderCfg, FashionHeads, load_backbones
from recsys.onnx_backend import OnnxEncoder, cache_key, like_lengths
from weights import onnx_cache

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ATELIER_DATA", REPO.parent / "shared" / "data"))
PHOTOS = DATA / "products" / "images"
MIN_COSINE = 0.999
TEXTS = [
    "red floral summer dress",
    "Turtle Check Men Navy Blue Shirt",
    "shoes",
    # Over the 64-token limit: truncated, and the longest row of its padded batch.
    "a relaxed cotton shirt with a button-down collar, " * 12,
]


@pytest.fixture(scope="module")
def torch_encoder() -> TorchEncoder:
    torch.manual_seed(0)
    image, text, tokenizer = load_backbones()
    return TorchEncoder(FashionHeads(EncoderCfg()).eval(), image, text, tokenizer)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("atelier-cache")


@pytest.fixture(scope="module")
def onnx_encoder(torch_encoder, cache) -> OnnxEncoder:
    return OnnxEncoder.from_torch(torch_encoder, cache_dir=cache)


def synthetic_images() -> list[Image.Image]:
    """Shapes and colours the preprocessing must handle: flat, non-square, noisy, a product on white."""
    rng = np.random.default_rng(0)
    flat = Image.new("RGB", (64, 64), (200, 30, 40))
    tall = Image.new("RGB", (60, 80), (255, 255, 255))
    ImageDraw.Draw(tall).rectangle((15, 10, 45, 70), fill=(20, 40, 120))
    noise = Image.fromarray(rng.integers(0, 256, (97, 131, 3), dtype=np.uint8))
    gradient = Image.fromarray(np.tile(np.linspace(0, 255, 120, dtype=np.uint8), (90, 1)), "L").convert("RGB")
    return [flat, tall, noise, gradient]


def assert_parity(expected: np.ndarray, actual: np.ndarray) -> None:
    assert actual.shape == expected.shape
    cosine = (expected * actual).sum(1) / np.linalg.norm(expected, axis=1) / np.linalg.norm(actual, axis=1)
    assert cosine.min() >= MIN_COSINE, f"per-row cosine torch vs onnx: {np.round(cosine, 5)}"


def assert_unit_rows(vectors: np.ndarray, n: int, d: int) -> None:
    assert vectors.shape == (n, d) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_image_parity_synthetic(torch_encoder, onnx_encoder):
    images = synthetic_images()
    assert_parity(torch_encoder.encode_images(images), onnx_encoder.encode_images(images))


@pytest.mark.data
@pytest.mark.skipif(not PHOTOS.is_dir(), reason=f"no product photos at {PHOTOS} (set ATELIER_DATA)")
def test_image_parity_real_photos(torch_encoder, onnx_encoder):
    paths = sorted(PHOTOS.glob("*.jpg"))[:4]
    assert paths, f"{PHOTOS} has no .jpg files"
    assert_parity(torch_encoder.encode_images(paths), onnx_encoder.encode_images(paths))


def test_text_parity(torch_encoder, onnx_encoder):
    # batch_size=3 gives two batches of different padded lengths, exercising the dynamic token axis.
    assert_parity(torch_encoder.encode_texts(TEXTS), onnx_encoder.encode_texts(TEXTS, batch_size=3))


def test_contract(torch_encoder, onnx_encoder):
    assert (onnx_encoder.name, onnx_encoder.embed_dim, onnx_encoder.cfg) == (
        torch_encoder.name, torch_encoder.embed_dim, torch_encoder.cfg)
    images = synthetic_images()
    one_by_one = onnx_encoder.encode_images(images, batch_size=1)
    assert_unit_rows(one_by_one, len(images), onnx_encoder.embed_dim)
    np.testing.assert_allclose(one_by_one, onnx_encoder.encode_images(images, batch_size=32), atol=1e-5)
    texts = onnx_encoder.encode_texts(TEXTS, batch_size=1)
    assert_unit_rows(texts, len(TEXTS), onnx_encoder.embed_dim)
    np.testing.assert_allclose(texts, onnx_encoder.encode_texts(TEXTS), atol=1e-5)


def test_a_servers_text_session_runs_light_and_a_batch_jobs_keeps_the_default(onnx_encoder, torch_encoder, cache):
    # A server calls the text tower per request: one thread, no spinning; a batch job (and every image session)
    # embeds in big batches on a pool per core.
    text, image = (session.get_session_options() for session in (onnx_encoder.text_session, onnx_encoder.image_session))
    assert text.intra_op_num_threads == 0 and text.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    assert image.intra_op_num_threads == 0 and image.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    server = OnnxEncoder.from_torch(torch_encoder, cache_dir=cache, text_threads=onnx_cache.LIGHT)  # cached: no export
    served = server.text_session.get_session_options()
    assert (served.intra_op_num_threads, served.inter_op_num_threads) == (1, 1)
    assert served.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_an_int8_text_tower_is_close_to_the_float_one_and_each_text_is_its_own(torch_encoder, onnx_encoder, cache):
    int8 = OnnxEncoder.from_torch(torch_encoder, cache_dir=cache, int8_text=True)  # the float export is cached
    assert int8.int8_text and (int8.cache_dir / "text.int8.onnx").is_file()
    together = int8.encode_texts(TEXTS)
    cosine = (together * onnx_encoder.encode_texts(TEXTS)).sum(axis=1)
    assert cosine.min() > 0.99, cosine  # random heads: 0.997-0.998; the trained ones: see encoder_quality.md
    # Activations are scaled per call: a text batched beside a longer one would change. One at a time, it cannot.
    for text, row in zip(TEXTS, together, strict=True):
        np.testing.assert_array_equal(int8.encode_texts([text])[0], row, err_msg=text)


def test_texts_of_like_length_are_batched_together():
    # Each run's longest is at most twice its shortest, so padding at most doubles a text's cost.
    assert like_lengths([1, 2, 2, 3, 5, 9, 30]) == [slice(0, 3), slice(3, 5), slice(5, 6), slice(6, 7)]
    assert like_lengths([4]) == [slice(0, 1)]


def test_bad_text_input_is_refused(onnx_encoder):
    with pytest.raises(TypeError):
        onnx_encoder.encode_texts("a single string")
    with pytest.raises(ValueError):
        onnx_encoder.encode_texts(["fine", "   "])
    with pytest.raises(ValueError, match="batch_size"):
        onnx_encoder.encode_texts(["fine"], batch_size=0)


def test_export_leaves_torch_modes_alone(torch_encoder, onnx_encoder):
    for module in (torch_encoder.heads, torch_encoder.image_backbone, torch_encoder.text_backbone):
        assert not any(sub.training for sub in module.modules())


def test_second_load_hits_cache(torch_encoder, onnx_encoder, monkeypatch):
    files = sorted(onnx_encoder.cache_dir.glob("*.onnx"))
    assert {"image.onnx", "text.onnx"} <= {f.name for f in files}  # and the int8 twin, once one asked for it
    before = [f.stat().st_mtime_ns for f in files]

    def no_export(*args):
        raise AssertionError("re-exported although the cache holds this export")

    monkeypatch.setattr(onnx_backend, "_export", no_export)
    again = OnnxEncoder.from_torch(torch_encoder, cache_dir=onnx_encoder.cache_dir.parent.parent)
    assert again.cache_dir == onnx_encoder.cache_dir
    assert [f.stat().st_mtime_ns for f in files] == before
    assert not list(onnx_encoder.cache_dir.glob("*.tmp"))


@pytest.mark.parametrize("damage", ["garbage", "flipped-bytes"])
def test_damaged_cache_is_reexported(torch_encoder, onnx_encoder, tmp_path, damage):
    # A copy of the module's cache, so the damage stays in this test.
    folder = tmp_path / "onnx" / onnx_encoder.cache_dir.name
    shutil.copytree(onnx_encoder.cache_dir, folder)
    graph = folder / "image.onnx"
    if damage == "garbage":  # does not even parse
        graph.write_bytes(b"not an onnx model")
    else:  # still parses and loads, but a weight is wrong: only the checksum sees it
        data = bytearray(graph.read_bytes())
        data[len(data) // 2] ^= 0xFF
        graph.write_bytes(bytes(data))
    rebuilt = OnnxEncoder.from_torch(torch_encoder, cache_dir=tmp_path)
    assert graph.read_bytes() == (onnx_encoder.cache_dir / "image.onnx").read_bytes()
    images = synthetic_images()
    assert_parity(torch_encoder.encode_images(images), rebuilt.encode_images(images))


def test_crashed_export_leaves_nothing(tmp_path):
    def crash(tmp: str) -> None:
        Path(tmp).write_bytes(b"half a model")
        raise RuntimeError("killed mid-export")

    with pytest.raises(RuntimeError, match="mid-export"):
        onnx_cache.write_atomically(tmp_path / "image.onnx", crash)
    assert list(tmp_path.iterdir()) == []


def test_retrained_heads_change_the_key(torch_encoder):
    heads = FashionHeads(torch_encoder.cfg).eval()
    heads.load_state_dict(torch_encoder.heads.state_dict())
    enc = torch_encoder
    same = TorchEncoder(heads, enc.image_backbone, enc.text_backbone, enc.tokenizer)
    assert cache_key(same) == cache_key(torch_encoder)
    with torch.no_grad():
        heads.text.skip.bias[0] += 1e-3
    assert cache_key(same) != cache_key(torch_encoder)


def test_cache_root_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ATELIER_CACHE", str(tmp_path))
    assert onnx_cache.cache_root() == tmp_path
    monkeypatch.delenv("ATELIER_CACHE")
    assert onnx_cache.cache_root() == Path.home() / ".cache" / "atelier"


def test_from_pretrained_opens_its_cached_graphs_without_loading_pytorch(tmp_path, monkeypatch):
    from weights import resolve

    first = OnnxEncoder.from_pretrained(cache_dir=tmp_path)  # exports once, keyed by the weight files
    assert first.cache_dir.name == onnx_backend.files_key(resolve("atelier-fashion-heads"))

    def refuse(*args, **kwargs):
        raise AssertionError("the PyTorch encoder was loaded although its export is cached")

    monkeypatch.setattr(TorchEncoder, "from_pretrained", refuse)
    again = OnnxEncoder.from_pretrained(cache_dir=tmp_path)
    assert again.cache_dir == first.cache_dir and again.int8_text  # the registry's encoder runs int8 text
    np.testing.assert_allclose(again.encode_texts(TEXTS), first.encode_texts(TEXTS), atol=1e-6)
    (first.cache_dir / "text.onnx").write_bytes(b"damaged")  # a damaged graph means exporting again
    monkeypatch.undo()
    repaired = OnnxEncoder.from_pretrained(cache_dir=tmp_path)
    np.testing.assert_allclose(repaired.encode_texts(TEXTS), first.encode_texts(TEXTS), atol=1e-6)


def test_a_served_encoder_tokenizes_as_transformers_does_without_importing_it(torch_encoder):
    """OnnxEncoder.from_pretrained reads MiniLM's tokenizer.json with the ``tokenizers`` package (importing
    transformers cost a server ~1.5 s of its start): the same ids and masks, cut at the same token, as the
    AutoTokenizer the encoder was trained with."""
    from recsys.backends import tokenize
    from tryon import load_tokenizer

    texts = [*TEXTS, "Crème brûlée SWEATER — naïve 🧥 größe XL", "  ", "a", "ÉTÉ\tsummer\nline", "x" * 300]
    packaged = load_tokenizer()
    for batch in (texts, texts[:1], texts[2:5]):
        ours, theirs = tokenize(packaged, batch, 64), tokenize(torch_encoder.tokenizer, batch, 64)
        for name in ("input_ids", "attention_mask"):
            np.testing.assert_array_equal(ours[name], theirs[name])
