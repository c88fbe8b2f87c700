"""Train the instruction parser on generated requests (``atelier train parser``).

1. Generate requests from real attribute values (``datagen``), seeded.
2. Label sub-word tokens BIO through the tokenizer's character offsets.
3. Fine-tune LoRA adapters + heads with token and intent cross-entropy.
4. Report seqeval entity scores and intent accuracy on a held-out generated split (and on the hand-written
   dev set when given; it is only scored, never trained on), and save adapters + heads.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from seqeval.metrics import classification_report, f1_score

from atelier_io import replacing

from .datagen import Vocabulary, generate
from .parser import build_parser, trainable_state
from .schema import BIO_LABELS, INTENTS
from .tokens import MAX_TOKENS, word_starts

log = logging.getLogger(__name__)
LABEL_ID = {label: i for i, label in enumerate(BIO_LABELS)}


@dataclass
class ParserTrainConfig:
    data_dir: Path
    out: Path
    n_train: int = 12000
    n_val: int = 1000
    epochs: int = 2
    batch_size: int = 32
    lr: float = 1e-3
    lora_rank: int = 8
    seed: int = 0


def encode(tokenizer, rows: list[dict]) -> dict[str, torch.Tensor]:
    """Token ids plus BIO label ids per token (-100 for special and padding tokens)."""
    batch = tokenizer(
        [r["text"] for r in rows],
        padding=True,
        truncation=True,
        max_length=MAX_TOKENS,
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    labels = torch.full(batch["input_ids"].shape, -100)
    for i, row in enumerate(rows):
        for j, start, end in word_starts(row["text"], batch["offset_mapping"][i].tolist()):
            labels[i, j] = LABEL_ID["O"]
            for entity in row["entities"]:
                if entity["start"] <= start and end <= entity["end"]:
                    prefix = "B" if start == entity["start"] else "I"
                    labels[i, j] = LABEL_ID[f"{prefix}-{entity['label']}"]
    intents = torch.tensor([INTENTS.index(r["intent"]) for r in rows])
    return {
        "input_ids": batch["input_ids"],
        "attention_mask": batch["attention_mask"],
        "labels": labels,
        "intents": intents,
    }


def tag_sequences(labels: torch.Tensor, predicted: torch.Tensor) -> tuple[list[list[str]], list[list[str]]]:
    truth, guess = [], []
    for row_labels, row_pred in zip(labels.tolist(), predicted.tolist(), strict=True):
        keep = [k for k, label in enumerate(row_labels) if label != -100]
        truth.append([BIO_LABELS[row_labels[k]] for k in keep])
        guess.append([BIO_LABELS[row_pred[k]] for k in keep])
    return truth, guess


@torch.no_grad()
def score(model, tokenizer, rows: list[dict]) -> dict:
    model.eval()
    truth, guess, correct = [], [], 0
    for offset in range(0, len(rows), 64):
        batch = encode(tokenizer, rows[offset : offset + 64])
        token_logits, intent_logits = model(batch["input_ids"], batch["attention_mask"])
        t, g = tag_sequences(batch["labels"], token_logits.argmax(-1))
        truth += t
        guess += g
        correct += int((intent_logits.argmax(-1) == batch["intents"]).sum())
    model.train()
    return {
        "entity_micro_f1": round(float(f1_score(truth, guess)), 4),
        "intent_accuracy": round(correct / len(rows), 4),
        "report": classification_report(truth, guess, digits=3, zero_division=0),
    }


def fit(cfg: ParserTrainConfig, dev_rows: list[dict] | None = None) -> dict:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    vocab = Vocabulary.from_data(cfg.data_dir)
    train_rows = generate(vocab, cfg.n_train, seed=cfg.seed)
    val_rows = generate(vocab, cfg.n_val, seed=cfg.seed + 1)
    model, tokenizer = build_parser(cfg.lora_rank)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.01)
    steps = cfg.epochs * (len(train_rows) // cfg.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=cfg.lr, total_steps=steps, pct_start=0.1)
    start, step = time.time(), 0
    model.train()
    for _ in range(cfg.epochs):
        order = rng.permutation(len(train_rows))
        for offset in range(0, len(order) - cfg.batch_size + 1, cfg.batch_size):
            batch = encode(tokenizer, [train_rows[i] for i in order[offset : offset + cfg.batch_size]])
            token_logits, intent_logits = model(batch["input_ids"], batch["attention_mask"])
            loss = F.cross_entropy(token_logits.flatten(0, 1), batch["labels"].flatten(), ignore_index=-100)
            loss = loss + F.cross_entropy(intent_logits, batch["intents"])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % 50 == 0:
                log.info("step %d/%d loss %.4f (%.0f s)", step, steps, loss.item(), time.time() - start)
    record = {
        "train_seconds": round(time.time() - start, 1),
        "n_train": len(train_rows),
        "generated_validation": score(model, tokenizer, val_rows),
    }
    if dev_rows:
        record["dev"] = score(model, tokenizer, dev_rows)
    cfg.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        k: (v if k not in {"generated_validation", "dev"} else {m: s for m, s in v.items() if m != "report"})
        for k, v in record.items()
    }
    payload = {
        "state_dict": {k: v.half() for k, v in trainable_state(model).items()},
        "config": {"lora_rank": cfg.lora_rank},
        "meta": json.loads(json.dumps(meta)),
    }
    with replacing(cfg.out) as tmp:
        torch.save(payload, tmp)
    return record
