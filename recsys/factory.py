"""``create_encoder``: one factory over every encoder Atelier can run, in open_clip's style."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

ENCODERS = {
    "atelier-fashion": "Atelier's own dual encoder (MobileNetV2 + colour descriptor, MiniLM, trained heads); default",
    "open_clip:<architecture>": "any open_clip architecture with your checkpoint: pretrained=<path or tag>",
}
BACKENDS = ("auto", "onnx", "torch")


def list_encoders() -> dict[str, str]:
    return dict(ENCODERS)


def create_encoder(name: str = "atelier-fashion", backend: str = "auto", pretrained: str | Path | None = None,
                   for_requests: bool = False):
    """Build an encoder with the ``encode_images`` / ``encode_texts`` contract.

    name: "atelier-fashion" or "open_clip:<architecture>" (e.g. "open_clip:ViT-B-32").
    backend: for atelier-fashion, "onnx" (ONNX Runtime, the faster one, default via "auto") or "torch".
    pretrained: atelier-fashion heads file (default: the registry's), or the open_clip checkpoint.
    for_requests: a server's encoder, whose text tower gets many short calls at once (batched by the caller): on
    ONNX Runtime it runs one thread that does not spin, leaving the cores to the requests. The default suits batch
    jobs (a catalog's captions): a pool per core.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if name.startswith("open_clip:"):
        from .backends import OpenClipEncoder

        return OpenClipEncoder.from_pretrained(
            name.split(":", 1)[1], pretrained=str(pretrained) if pretrained else None
        )
    if name != "atelier-fashion":
        raise ValueError(f"unknown encoder {name!r}; known: {', '.join(ENCODERS)}")
    if backend == "torch":
        from .backends import TorchEncoder

        return TorchEncoder.from_pretrained(pretrained)
    from weights.onnx_cache import LIGHT, POOLED

    from .onnx_backend import OnnxEncoder

    return OnnxEncoder.from_pretrained(pretrained, text_threads=LIGHT if for_requests else POOLED)
