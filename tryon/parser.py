"""The instruction parser: MiniLM with LoRA adapters, a BIO token head and an intent head.

One encoder pass serves both heads: token logits over ``BIO_LABELS`` (spans are read back through the
fast tokenizer's character offsets) and intent logits from the mean-pooled sequence.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from .schema import BIO_LABELS, INTENTS
from .tokens import load_tokenizer
from .tokens import word_starts as word_starts  # re-exported: tests/test_parser_decoding.py reads it here


class InstructionParser(nn.Module):
    def __init__(self, backbone: nn.Module, hidden: int = 384, dropout: float = 0.1):
        super().__init__()
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.token_head = nn.Linear(hidden, len(BIO_LABELS))
        self.intent_head = nn.Linear(hidden, len(INTENTS))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.dropout(self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.token_head(hidden), self.intent_head(pooled)


def build_parser(lora_rank: int = 8) -> tuple[InstructionParser, object]:
    """Packaged MiniLM (through the registry) with LoRA on attention and feed-forward; returns (model, tokenizer)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    from weights import resolve

    hf_logging.disable_progress_bar()
    backbone = AutoModel.from_pretrained(str(resolve("minilm")))
    lora = LoraConfig(
        r=lora_rank, lora_alpha=2 * lora_rank, lora_dropout=0.05, target_modules=["query", "key", "value", "dense"]
    )
    with warnings.catch_warnings():  # peft calls a transformers API deprecated for v6; nothing for us to act on
        warnings.simplefilter("ignore", FutureWarning)
        model = InstructionParser(get_peft_model(backbone, lora))
    return model, load_tokenizer()


def load_trained(weights: Path) -> tuple[InstructionParser, object]:
    """The trained parser from a weights file, adapters merged into MiniLM (plain MiniLM speed), in eval mode."""
    payload = torch.load(weights, map_location="cpu", weights_only=True)
    model, tokenizer = build_parser(payload["config"]["lora_rank"])
    missing = model.load_state_dict({k: v.float() for k, v in payload["state_dict"].items()}, strict=False)
    if missing.unexpected_keys:
        raise RuntimeError(f"parser weights do not fit the model: {missing.unexpected_keys[:3]}")
    model.backbone = model.backbone.merge_and_unload()
    return model.eval(), tokenizer


class ParserScores(nn.Module):
    """The parser as inference reads it: (token probabilities, intent probabilities). The torch backend
    runs this module and the ONNX backend exports it, so both compute the very same outputs."""

    def __init__(self, parser: InstructionParser):
        super().__init__()
        self.parser = parser

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        token_logits, intent_logits = self.parser(input_ids, attention_mask)
        return token_logits.softmax(-1), intent_logits.softmax(-1)


def trainable_state(model: InstructionParser) -> dict[str, torch.Tensor]:
    """Only what training changed (LoRA adapters and heads): a few MB instead of MiniLM's 90."""
    names = {name for name, param in model.named_parameters() if param.requires_grad}
    return {name: tensor for name, tensor in model.state_dict().items() if name in names}
