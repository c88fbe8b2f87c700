"""The encoder backends. Every backend keeps one contract, ``Encoder``, whatever runs underneath.

``TorchEncoder`` and ``OnnxEncoder`` run atelier-fashion (same preprocessing, same weights);
``OpenClipEncoder`` runs any open_clip architecture with the user's own checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image

from atelier_io import ImageError, load_image

from .encoder import EncoderCfg, FashionHeads, load_backbones, preprocess_image

log = logging.getLogger(__name__)
ImageInput = str | Path | bytes | Image.Image


class Encoder(Protocol):
    """What every encoder backend provides, and what the rest of Atelier may rely on."""

    name: str  # identifies the weights: stored embeddings are kept per encoder name

    def encode_images(self, images: Sequence[ImageInput], batch_size: int = 32) -> np.ndarray:
        """float32 [n, embed_dim], rows L2-normalised."""
        ...

    def encode_texts(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """float32 [n, embed_dim], rows L2-normalised."""
        ...


MAX_TEXT_CHARS = 10_000


def check_texts(texts: Sequence[str]) -> list[str]:
    """Refuse what cannot be embedded with an error that names the item; never patch it silently."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}")
    if not texts:
        raise ValueError("texts is empty: give at least one string")
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] must be a string, got {type(text).__name__}")
        if not text.strip():
            raise ValueError(f"texts[{index}] is empty or only whitespace")
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"texts[{index}] has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    return list(texts)


def check_images(images: Sequence[ImageInput]) -> list[ImageInput]:
    """A list of images, or a TypeError/ValueError; a lone path is refused rather than split into characters."""
    if isinstance(images, str | bytes | Path | Image.Image) or not isinstance(images, Sequence):
        raise TypeError(f"images must be a list of paths, bytes or PIL images, got {type(images).__name__}")
    if not images:
        raise ValueError("images is empty: give at least one image")
    return list(images)


def load_images(images: Sequence[ImageInput], offset: int = 0) -> list[Image.Image]:
    """Decode every image; an error names the item's index (``offset`` + position) in the caller's list."""
    loaded = []
    for index, image in enumerate(check_images(images)):
        try:
            loaded.append(load_image(image))
        except ImageError as err:
            raise ImageError(f"images[{offset + index}]: {err}") from err
    return loaded


def tokenize(tokenizer, texts: list[str], max_tokens: int) -> dict[str, np.ndarray]:
    """``texts`` as int64 ids and attention masks padded to the longest, cut to ``max_tokens`` (with a warning for
    each text cut). One pass when no text is too long, as for nearly every request. ``tokenizer``: transformers' or
    ``tryon.WordPieceTokenizer``, which are called alike."""
    batch = tokenizer(texts, padding=True, truncation=False, return_tensors="np")
    lengths = batch["attention_mask"].sum(axis=1)
    for index in np.flatnonzero(lengths > max_tokens):
        log.warning("text %d has %d tokens; only the first %d are encoded", index, lengths[index], max_tokens)
    if (lengths > max_tokens).any():
        batch = tokenizer(texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="np")
    return {
        "input_ids": batch["input_ids"].astype(np.int64),
        "attention_mask": batch["attention_mask"].astype(np.int64),
    }


def batches(items: list, size: int):
    """(offset, batch) pairs."""
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {size!r}")
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def load_heads(path: Path) -> tuple[FashionHeads, dict]:
    """Trained heads and their metadata (config, prompt set, training record) from one .pt file."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        heads = FashionHeads(EncoderCfg.from_dict(payload["config"]))
        heads.load_state_dict({k: v.float() for k, v in payload["state_dict"].items()})
    except (RuntimeError, KeyError, OSError, EOFError) as err:
        raise RuntimeError(
            f"cannot load encoder heads from {path}: {err}; retrain with `atelier train encoder`"
        ) from err
    return heads.eval(), payload.get("meta", {})


class TorchEncoder:
    """atelier-fashion in PyTorch: the reference implementation, and what training and export use."""

    def __init__(self, heads: FashionHeads, image_backbone, text_backbone, tokenizer, name: str = "atelier-fashion"):
        self.heads, self.image_backbone, self.text_backbone = heads, image_backbone, text_backbone
        self.tokenizer, self.name = tokenizer, name
        self.cfg = heads.cfg
        self.embed_dim = self.cfg.embed_dim

    @classmethod
    def from_pretrained(cls, heads_path: str | Path | None = None) -> TorchEncoder:
        from weights import resolve

        heads, _ = load_heads(Path(heads_path) if heads_path else resolve("atelier-fashion-heads"))
        image, text, tokenizer = load_backbones()
        return cls(heads, image, text, tokenizer)

    def preprocess(self, images: Sequence[ImageInput], offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
        pairs = [preprocess_image(image, self.cfg.vision) for image in load_images(images, offset)]
        return np.stack([p for p, _ in pairs]), np.stack([c for _, c in pairs])

    @torch.no_grad()
    def encode_images(self, images: Sequence[ImageInput], batch_size: int = 32) -> np.ndarray:
        out = []
        for offset, batch in batches(check_images(images), batch_size):
            pixels, colour = self.preprocess(batch, offset)
            features = self.image_backbone(torch.from_numpy(pixels))
            out.append(self.heads.encode_image(features, torch.from_numpy(colour)).numpy())
        return np.concatenate(out).astype(np.float32)

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = []
        for _, batch in batches(check_texts(texts), batch_size):
            tokens = tokenize(self.tokenizer, batch, self.cfg.text.max_tokens)
            sentence = self.text_backbone(
                torch.from_numpy(tokens["input_ids"]), torch.from_numpy(tokens["attention_mask"])
            )
            out.append(self.heads.encode_text(sentence).numpy())
        return np.concatenate(out).astype(np.float32)


class OpenClipEncoder:
    """Any open_clip model with the user's checkpoint (a local file, or a hub tag where downloads are allowed)."""

    def __init__(self, model, preprocess, tokenizer, name: str):
        self.model, self.preprocess, self.tokenizer, self.name = model.eval(), preprocess, tokenizer, name
        self.embed_dim = int(model.text_projection.shape[-1]) if hasattr(model, "text_projection") else None

    @classmethod
    def from_pretrained(cls, model_name: str, pretrained: str | None = None, device: str = "cpu") -> OpenClipEncoder:
        import open_clip

        if model_name not in open_clip.list_models():
            raise ValueError(
                f"unknown open_clip model {model_name!r}; known: {', '.join(open_clip.list_models()[:20])}, …"
            )
        model, _, preprocess = open_clip.create_model_and_transforms(model_name, pretrained=pretrained, device=device)
        return cls(model, preprocess, open_clip.get_tokenizer(model_name), f"open_clip:{model_name}")

    @torch.no_grad()
    def encode_images(self, images: Sequence[ImageInput], batch_size: int = 32) -> np.ndarray:
        out = []
        for _, batch in batches(load_images(images), batch_size):
            pixels = torch.stack([self.preprocess(image) for image in batch])
            out.append(self.model.encode_image(pixels, normalize=True).float().numpy())
        return np.concatenate(out).astype(np.float32)

    @torch.no_grad()
    def encode_texts(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = []
        for _, batch in batches(check_texts(texts), batch_size):
            out.append(self.model.encode_text(self.tokenizer(batch), normalize=True).float().numpy())
        return np.concatenate(out).astype(np.float32)
