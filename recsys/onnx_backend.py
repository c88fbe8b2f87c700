"""atelier-fashion on ONNX Runtime: ``TorchEncoder``'s towers, heads and preprocessing, exported once.

``OnnxEncoder.from_torch`` exports two graphs (image: MobileNetV2 + image head; text: MiniLM + text head),
caches them under ``$ATELIER_CACHE/onnx/<key>`` (default ``~/.cache/atelier``) and opens them on the CPU. A
registry encoder's text tower runs as the int8 twin of its graph, one text a call (``weights.onnx_cache.run_each``).
The key hashes every weight that goes into the graphs, so retrained heads or overridden backbones re-export.
``OnnxEncoder.from_pretrained`` keys the cache by the weight files instead, so a cached export opens without
loading either PyTorch backbone (about 2.4 s of every server start on two cores).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from tryon import load_tokenizer
from weights import resolve, sha256_of
from weights.onnx_cache import (
    OPSET,
    POOLED,
    Threads,
    cache_root,
    export_module,
    int8_twin,
    intact,
    load_or_export,
    open_session,
    run_each,
)

from .backends import ImageInput, TorchEncoder, batches, check_images, check_texts, load_heads, tokenize
from .encoder import EncoderCfg

log = logging.getLogger(__name__)
GRAPH_VERSION = 1  # bump when the graph wrappers below change, so old caches are not reused


class _ImageGraph(nn.Module):
    def __init__(self, encoder: TorchEncoder):
        super().__init__()
        self.backbone, self.heads = encoder.image_backbone, encoder.heads

    def forward(self, pixels: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
        return self.heads.encode_image(self.backbone(pixels), colour)


class _TextGraph(nn.Module):
    def __init__(self, encoder: TorchEncoder):
        super().__init__()
        self.backbone, self.heads = encoder.text_backbone, encoder.heads

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.heads.encode_text(self.backbone(input_ids, attention_mask))


def cache_key(encoder: TorchEncoder) -> str:
    """First 16 hex of a SHA-256 over everything the graphs depend on: weights, config, exporter version."""
    digest = hashlib.sha256(f"{GRAPH_VERSION}|{OPSET}|{torch.__version__}|".encode())
    digest.update(json.dumps(encoder.cfg.to_dict(), sort_keys=True).encode())
    # The backbones are hashed too: the registry lets users swap them (ATELIER_WEIGHTS_*), and ~100 MB hash
    # in well under a second, a small price beside loading them.
    for module in (encoder.heads, encoder.image_backbone, encoder.text_backbone):
        for name, tensor in sorted(module.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()[:16]


def files_key(heads_path: Path) -> str:
    """A cache key from the files the encoder is built from (heads, MobileNetV2, every file of the MiniLM folder):
    it names the same graphs as ``cache_key`` without loading a model to hash its tensors."""
    digest = hashlib.sha256(f"{GRAPH_VERSION}|{OPSET}|{torch.__version__}|".encode())
    text_files = sorted(p for p in Path(resolve("minilm")).rglob("*") if p.is_file())
    for path in [Path(heads_path), Path(resolve("mobilenet_v2")), *text_files]:
        digest.update(f"{path.name}|{sha256_of(path)}|".encode())
    return "files-" + digest.hexdigest()[:16]


def _export(encoder: TorchEncoder, kind: str, path: str) -> None:
    cfg = encoder.cfg
    if kind == "image":
        module: nn.Module = _ImageGraph(encoder)
        size = cfg.vision.image_size
        args = (torch.zeros(2, 3, size, size), torch.zeros(2, cfg.vision.colour_dim))
        names, axes = ["pixels", "colour"], {"pixels": {0: "batch"}, "colour": {0: "batch"}}
    else:
        module = _TextGraph(encoder)
        # A padded example, so the attention mask is surely traced as live rather than folded away.
        example = ["red dress", "slim fit blue denim jeans for men"]
        tokens = tokenize(encoder.tokenizer, example, cfg.text.max_tokens)
        args = tuple(torch.from_numpy(tokens[name]) for name in ("input_ids", "attention_mask"))
        names = ["input_ids", "attention_mask"]
        axes = {name: {0: "batch", 1: "tokens"} for name in names}
    export_module(module, args, path, names, ["embedding"], {**axes, "embedding": {0: "batch"}})


class OnnxEncoder:
    """atelier-fashion on ONNX Runtime; embeddings match ``TorchEncoder`` to float rounding."""

    # The very same function as the torch backend (it only reads self.cfg), so both preprocess identically.
    preprocess = TorchEncoder.preprocess

    def __init__(self, image_session: ort.InferenceSession, text_session: ort.InferenceSession, tokenizer,
                 cfg: EncoderCfg, name: str = "atelier-fashion", cache_dir: Path | None = None,
                 int8_text: bool = False):
        self.image_session, self.text_session, self.tokenizer = image_session, text_session, tokenizer
        self.cfg, self.name, self.cache_dir, self.int8_text = cfg, name, cache_dir, int8_text
        self.embed_dim = cfg.embed_dim

    @classmethod
    def from_pretrained(cls, heads_path: str | Path | None = None, cache_dir: str | Path | None = None,
                        text_threads: Threads = POOLED, int8_text: bool = True) -> OnnxEncoder:
        """The registry's encoder (or ``heads_path``'s heads): its cached graphs when they are there and intact,
        else exported from a freshly loaded ``TorchEncoder``. cache_dir replaces $ATELIER_CACHE. ``text_threads``:
        the text session's (ONNX Runtime's default, a pool per core, for texts embedded in batches; a server, which
        embeds many short requests at once, passes ``LIGHT``). The image session always keeps the default.
        ``int8_text``: the text tower's int8 twin (the default: a text costs less than half, retrieval within a point
        of the float graph's; see weights/cards/atelier-fashion.md), or its float graph."""
        heads_path = Path(heads_path) if heads_path else resolve("atelier-fashion-heads")
        folder = (Path(cache_dir) if cache_dir else cache_root()) / "onnx" / files_key(heads_path)
        graphs = [folder / "image.onnx", folder / "text.onnx"]
        if all(intact(graph) for graph in graphs):
            try:
                image = open_session(graphs[0])
                text = open_session(int8_twin(graphs[1]) if int8_text else graphs[1], text_threads)
            except Exception as err:  # ORT's load errors share no public base class beyond Exception
                log.warning("cached ONNX graphs in %s do not load (%s); exporting them again", folder, err)
            else:
                heads, _ = load_heads(heads_path)  # transformers' import would cost a server's start ~1.5 s
                return cls(image, text, load_tokenizer(), heads.cfg, cache_dir=folder, int8_text=int8_text)
        return cls.from_torch(TorchEncoder.from_pretrained(heads_path), folder=folder, text_threads=text_threads,
                              int8_text=int8_text)

    @classmethod
    def from_torch(cls, torch_encoder: TorchEncoder, cache_dir: str | Path | None = None,
                   folder: Path | None = None, text_threads: Threads = POOLED, int8_text: bool = False) -> OnnxEncoder:
        """Export (or reuse the cached export of) ``torch_encoder``. cache_dir replaces $ATELIER_CACHE; ``folder``
        replaces the whole cache folder (``from_pretrained`` keys it by files); ``text_threads`` and ``int8_text``
        as there (a float text tower by default: its embeddings match ``torch_encoder``'s to float rounding)."""
        root = Path(cache_dir) if cache_dir else cache_root()
        folder = folder if folder is not None else root / "onnx" / cache_key(torch_encoder)
        image, text = (
            load_or_export(folder / f"{kind}.onnx", lambda tmp, kind=kind: _export(torch_encoder, kind, tmp), threads,
                           int8)
            for kind, threads, int8 in (("image", POOLED, False), ("text", text_threads, int8_text))
        )
        return cls(image, text, torch_encoder.tokenizer, torch_encoder.cfg, torch_encoder.name, folder, int8_text)

    def encode_images(self, images: Sequence[ImageInput], batch_size: int = 32) -> np.ndarray:
        out = []
        for offset, batch in batches(check_images(images), batch_size):
            pixels, colour = self.preprocess(batch, offset)
            out.append(self.image_session.run(["embedding"], {"pixels": pixels, "colour": colour})[0])
        return np.concatenate(out).astype(np.float32)

    def encode_texts(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        texts = check_texts(texts)
        # Each batch is padded to its longest text, and the tower's cost grows with the padded length: so texts of
        # like length go together (a server's batch mixes 5-token requests with 20-token style descriptions).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.embed_dim), np.float32)
        for group in like_lengths([len(texts[i]) for i in order]):
            for _, rows in batches(order[group], batch_size):
                tokens = tokenize(self.tokenizer, [texts[i] for i in rows], self.cfg.text.max_tokens)
                if self.int8_text:
                    out[rows] = np.concatenate([row for row, in run_each(self.text_session, ["embedding"], **tokens)])
                else:
                    out[rows] = self.text_session.run(["embedding"], tokens)[0]
        return out


def like_lengths(lengths: list[int]) -> list[slice]:
    """Runs of ascending ``lengths`` whose last is at most twice their first: padded to its run's longest, a text
    costs at most twice what it would alone (lengths in characters, a cheap stand-in for tokens)."""
    groups, start = [], 0
    for end, length in enumerate(lengths):
        if length > 2 * lengths[start]:
            groups.append(slice(start, end))
            start = end
    return [*groups, slice(start, len(lengths))]
