"""The encoder contract on real catalog photos: shapes, norms, batching, bad input, and that the shipped
weights actually put images and their descriptions together."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from atelier_io import ImageError
from recsys import TorchEncoder


def test_contract_shapes_dtype_and_norms(default_encoder, product_images):
    images = default_encoder.encode_images(product_images, batch_size=3)
    texts = default_encoder.encode_texts(["red dress", "blue jeans for men", "a black leather handbag"])
    assert images.shape == (len(product_images), default_encoder.embed_dim) and images.dtype == np.float32
    assert texts.shape == (3, default_encoder.embed_dim) and texts.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-4)


def test_batching_does_not_change_results(default_encoder, product_images):
    one_by_one = np.concatenate([default_encoder.encode_images([p]) for p in product_images[:4]])
    batched = default_encoder.encode_images(product_images[:4], batch_size=4)
    np.testing.assert_allclose(one_by_one, batched, atol=1e-4)


def test_images_accept_paths_bytes_and_pil(default_encoder, product_images):
    path = product_images[0]
    vectors = default_encoder.encode_images([path, path.read_bytes(), Image.open(path)])
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-5)


def test_text_finds_the_matching_photo(default_encoder, product_images, styles):
    """Each of these descriptions must rank its own photo first among the eight: a test that fails if the
    shipped heads were untrained or the towers misaligned."""
    ids = [int(p.stem) for p in product_images]
    names = [styles.loc[i, "productDisplayName"] for i in ids]
    similarity = default_encoder.encode_texts(names) @ default_encoder.encode_images(product_images).T
    assert (similarity.argmax(1) == np.arange(len(ids))).mean() >= 0.75


def test_torch_and_default_backends_agree(default_encoder, product_images):
    reference = TorchEncoder.from_pretrained()
    cos = (reference.encode_images(product_images[:3]) * default_encoder.encode_images(product_images[:3])).sum(1)
    assert cos.min() >= 0.999
    texts = ["navy blue shirt", "sports shoes"]
    # The default text tower is the int8 twin of the export (its retrieval: weights/cards/atelier-fashion.md)
    assert (reference.encode_texts(texts) * default_encoder.encode_texts(texts)).sum(1).min() >= 0.98


@pytest.mark.parametrize(
    ("texts", "error", "message"),
    [
        ([], ValueError, "empty"),
        ([""], ValueError, r"texts\[0\] is empty"),
        (["ok", "   "], ValueError, r"texts\[1\] is empty"),
        ("red dress", TypeError, "list of strings"),
        ([42], TypeError, r"texts\[0\] must be a string"),
        (["x" * 10_001], ValueError, "limit is 10,000"),
    ],
)
def test_bad_texts(default_encoder, texts, error, message):
    with pytest.raises(error, match=message):
        default_encoder.encode_texts(texts)


def test_long_text_is_truncated_with_a_warning(default_encoder, caplog):
    with caplog.at_level(logging.WARNING):
        vector = default_encoder.encode_texts(["red floral summer dress " * 60])
    assert vector.shape == (1, default_encoder.embed_dim)
    assert "only the first" in caplog.text


def test_bad_images_name_the_item(default_encoder, product_images):
    with pytest.raises(ImageError, match=r"images\[1\]"):
        default_encoder.encode_images([product_images[0], b"not an image"])
    with pytest.raises(ValueError, match="empty"):
        default_encoder.encode_images([])
