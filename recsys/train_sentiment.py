"""Fine-tune atelier-sentiment on the Women's clothing reviews (``atelier train sentiment``).

1. Read the reviews; hold out a validation split by review_id hash (crc32 % 10 == 0), never trained on.
   The input is the review text alone, as shops pass it; the label is the 1-5 rating.
2. Run MiniLM's frozen bottom layers once over every text and cache their hidden states (fp16, on disk):
   a full fine-tune costs ~10 s per batch on 2 CPU cores, this costs the top layers' share of it.
3. Fine-tune the top layers + the rating head on the cached states, in length-bucketed batches.
4. Score the validation split (AUC of 4-5 vs 1-2 and vs 1-3 stars, sign accuracy) after every epoch and save
   the last epoch's top layers + head in fp16 (no early stopping, so the validation scores are not selected on).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

from atelier_io import replacing

from .sentiment import MAX_TOKENS, SentimentModel, build_model, freeze_bottom, trainable_state

log = logging.getLogger(__name__)
REVIEWS = Path("reviews/womens_clothing_reviews.csv")
AMAZON = Path("reviews/amazon_fashion_5core.json")


@dataclass
class SentimentTrainConfig:
    data_dir: Path
    out: Path
    cache_dir: Path = Path("cache/sentiment")
    train_layers: int = 2  # of MiniLM's 6; the bottom 4 are frozen and cached
    objective: str = "classes"  # 5-way rating cross-entropy, or "regression" on (rating - 3) / 2
    epochs: int = 2
    batch_size: int = 32
    lr: float = 1e-4  # top layers (pre-trained: small steps)
    head_lr: float = 1e-3  # the head starts from scratch
    val_mod: int = 10  # review_ids with crc32 % 10 == 0 are validation
    seed: int = 0


def is_validation(review_id, mod: int = 10) -> bool:
    return zlib.crc32(str(review_id).encode()) % mod == 0


def read_reviews(data_dir: Path, val_mod: int = 10) -> pd.DataFrame:
    """Women's reviews with text: review_id, item_id, title, text, rating, validation."""
    path = data_dir / REVIEWS
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: pass --data (the shared data folder)")
    raw = pd.read_csv(path)
    table = pd.DataFrame({
        "review_id": raw["review_id"],
        "item_id": raw["Clothing ID"],
        "title": raw["Title"].fillna("").astype(str).str.strip(),
        "text": raw["Review Text"].fillna("").astype(str).str.strip(),
        "rating": raw["Rating"].astype(int),
    })
    table = table[table["text"] != ""].reset_index(drop=True)
    table["validation"] = [is_validation(i, val_mod) for i in table["review_id"]]
    return table


def read_amazon(data_dir: Path) -> pd.DataFrame:
    """Amazon fashion 5-core, one row per distinct text: the 5-core repeats a review across style variants,
    and two texts carry conflicting ratings (dropped)."""
    raw = pd.read_json(data_dir / AMAZON)
    raw = raw.assign(text=raw["reviewText"].fillna("").astype(str).str.strip(), rating=raw["overall"].astype(int))
    raw = raw[raw["text"] != ""]
    agreed = raw.groupby("text")["rating"].nunique() == 1
    unique = raw.drop_duplicates("text")
    return unique[unique["text"].map(agreed)][["text", "rating"]].reset_index(drop=True)


def polarity_metrics(scores: np.ndarray, ratings: np.ndarray) -> dict:
    """AUC of positive (4-5 stars) against 1-2 and against 1-3, and sign accuracy (score > 0 ⇔ 4-5 stars)
    over reviews that are not 3 stars."""
    scores, ratings = np.asarray(scores, dtype=float), np.asarray(ratings)
    positive, clear = ratings >= 4, ratings != 3
    return {
        "auc_45_vs_12": round(float(roc_auc_score(positive[clear], scores[clear])), 4),
        "auc_45_vs_123": round(float(roc_auc_score(positive, scores)), 4),
        "sign_accuracy": round(float(((scores[clear] > 0) == positive[clear]).mean()), 4),
        "n": len(ratings),
    }


def cache_key(texts: list[str], model: SentimentModel) -> str:
    return hashlib.sha256(json.dumps([texts, model.split, MAX_TOKENS]).encode()).hexdigest()[:16]


@torch.inference_mode()
def bottom_states(model: SentimentModel, tokenizer, texts: list[str]) -> tuple[torch.Tensor, np.ndarray]:
    """The frozen layers' hidden states of every text, without padding: flat fp16 [tokens, 384] + offsets."""
    model.eval()
    order = np.argsort([len(t) for t in texts], kind="stable")
    states: list[torch.Tensor | None] = [None] * len(texts)
    for start in range(0, len(order), 64):
        rows = order[start : start + 64]
        batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=MAX_TOKENS,
                          return_tensors="pt")
        hidden = model.bottom(batch["input_ids"], batch["attention_mask"]).half()
        for row, h, n in zip(rows, hidden, batch["attention_mask"].sum(1).tolist(), strict=True):
            states[row] = h[:n].clone()
        if start // 64 % 50 == 0:
            log.info("cached %d/%d texts", start + len(rows), len(texts))
    offsets = np.cumsum([0] + [len(s) for s in states])
    return torch.cat(states), offsets


def cached_states(model: SentimentModel, tokenizer, texts: list[str], cache_dir: Path) -> tuple[torch.Tensor,
                                                                                                 np.ndarray]:
    path = cache_dir / f"hidden-{cache_key(texts, model)}.pt"
    if path.is_file():
        saved = torch.load(path, weights_only=True)
        return saved["flat"], saved["offsets"].numpy()
    flat, offsets = bottom_states(model, tokenizer, texts)
    with replacing(path) as tmp:
        torch.save({"flat": flat, "offsets": torch.from_numpy(offsets)}, tmp)
    return flat, offsets


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Batches of similar length (little padding to pay for), in random order; the jitter varies which
    texts share a batch from one epoch to the next."""
    order = np.argsort(lengths + rng.uniform(0, 8, len(lengths)), kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def gather(flat: torch.Tensor, offsets: np.ndarray, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded float32 hidden states [b, t, 384] and their attention mask for the given texts."""
    pieces = [flat[offsets[r] : offsets[r + 1]].float() for r in rows]
    hidden = torch.nn.utils.rnn.pad_sequence(pieces, batch_first=True)
    mask = torch.zeros(hidden.shape[:2], dtype=torch.long)
    for i, piece in enumerate(pieces):
        mask[i, : len(piece)] = 1
    return hidden, mask


def loss_of(model: SentimentModel, outputs: torch.Tensor, ratings: torch.Tensor) -> torch.Tensor:
    if model.objective == "classes":
        return F.cross_entropy(outputs, ratings - 1)
    return F.mse_loss(model.polarity(outputs), (ratings.float() - 3) / 2)


@torch.no_grad()
def predict(model: SentimentModel, flat: torch.Tensor, offsets: np.ndarray, rows: np.ndarray) -> np.ndarray:
    model.eval()
    lengths = np.diff(offsets)[rows]
    scores = np.zeros(len(rows), dtype=np.float32)
    for batch in np.array_split(np.argsort(lengths), max(1, len(rows) // 128)):
        hidden, mask = gather(flat, offsets, rows[batch])
        scores[batch] = model.polarity(model.top(hidden, mask)).numpy()
    model.train()
    return scores


def fit(cfg: SentimentTrainConfig) -> dict:
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    reviews = read_reviews(cfg.data_dir, cfg.val_mod)
    model, tokenizer = build_model(cfg.train_layers, cfg.objective)
    freeze_bottom(model)
    start = time.time()
    flat, offsets = cached_states(model, tokenizer, reviews["text"].tolist(), cfg.cache_dir)
    cache_seconds = time.time() - start
    train_rows = np.flatnonzero(~reviews["validation"].to_numpy())
    val_rows = np.flatnonzero(reviews["validation"].to_numpy())
    ratings = torch.tensor(reviews["rating"].to_numpy())
    head = list(model.head.parameters())
    layers = [p for name, p in model.named_parameters() if p.requires_grad and not name.startswith("head.")]
    groups = [{"params": head, "lr": cfg.head_lr}] + ([{"params": layers, "lr": cfg.lr}] if layers else [])
    optimiser = torch.optim.AdamW(groups, weight_decay=0.01)
    steps = cfg.epochs * -(-len(train_rows) // cfg.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[g["lr"] for g in groups], total_steps=steps,
                                                   pct_start=0.1)
    lengths, epochs, step = np.diff(offsets), [], 0
    model.train()
    for epoch in range(cfg.epochs):
        for batch in length_batches(lengths[train_rows], cfg.batch_size, rng):
            rows = train_rows[batch]
            hidden, mask = gather(flat, offsets, rows)
            loss = loss_of(model, model.top(hidden, mask), ratings[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if step % 50 == 0:
                log.info("step %d/%d loss %.4f (%.0f s)", step, steps, loss.item(), time.time() - start)
        scores = predict(model, flat, offsets, val_rows)
        epochs.append({"epoch": epoch + 1, **polarity_metrics(scores, reviews["rating"].to_numpy()[val_rows])})
        log.info("epoch %d validation %s", epoch + 1, epochs[-1])
    record = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()},
        "cache_seconds": round(cache_seconds, 1),
        "total_seconds": round(time.time() - start, 1),
        "n_train": len(train_rows),
        "n_validation": len(val_rows),
        "epochs": epochs,
        "validation": epochs[-1],
    }
    save(model, cfg, record)
    return record


def save(model: SentimentModel, cfg: SentimentTrainConfig, record: dict) -> None:
    payload = {
        "state_dict": {k: v.half() for k, v in trainable_state(model).items()},
        "config": {"train_layers": cfg.train_layers, "objective": cfg.objective},
        "meta": json.loads(json.dumps(record)),
    }
    with replacing(cfg.out) as tmp:
        torch.save(payload, tmp)
