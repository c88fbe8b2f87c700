"""The parser's tokenizer and the words its tags follow, without torch or transformers.

MiniLM's tokenizer is read from its ``tokenizer.json`` by the ``tokenizers`` package, the Rust tokenizer that
transformers' fast tokenizers wrap: the same ids and character offsets, without the seconds that importing
transformers (and with it torch) costs `atelier parse`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from tokenizers import Encoding, Tokenizer

MAX_TOKENS = 64
RETURN_TENSORS = ("np", "pt")
PAD = "[PAD]"


class WordPieceTokenizer:
    """Called as transformers' tokenizers are, for what the parser asks of one: a text or a batch, optionally
    truncated and padded to the longest, as int64 arrays (``return_tensors="np"``) or tensors (``"pt"``)."""

    def __init__(self, tokenizer: Tokenizer):
        # tokenizer.json carries sentence-transformers' own settings (truncation at 128, padding to 128): the
        # caller's arguments decide instead, as they do in transformers.
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.backend, self.pad_id = tokenizer, tokenizer.token_to_id(PAD)
        self._lock = threading.Lock()  # truncation is the backend's state: set and used by one call at a time

    @classmethod
    def from_folder(cls, folder: Path) -> WordPieceTokenizer:
        return cls(Tokenizer.from_file(str(folder / "tokenizer.json")))

    def __call__(self, text: str | list[str], *, padding: bool = False, truncation: bool = False,
                 max_length: int | None = None, return_offsets_mapping: bool = False,
                 return_overflowing_tokens: bool = False, return_tensors: str = "np") -> dict:
        if return_overflowing_tokens or return_tensors not in RETURN_TENSORS or (truncation and not max_length):
            raise ValueError("WordPieceTokenizer truncates only to a max_length, returns no overflowing tokens and "
                             f"returns tensors as one of {RETURN_TENSORS}")
        with self._lock:
            self._truncate_to(max_length if truncation else None)
            encodings = self.backend.encode_batch([text] if isinstance(text, str) else text)
        if padding:
            longest = max(len(e.ids) for e in encodings)
            for encoding in encodings:
                encoding.pad(longest, pad_id=self.pad_id, pad_token=PAD)
        arrays = _arrays(encodings, return_offsets_mapping)
        if return_tensors == "pt":
            import torch  # training and the ONNX export want tensors; parsing never loads torch

            return {name: torch.from_numpy(array) for name, array in arrays.items()}
        return arrays

    def _truncate_to(self, max_length: int | None) -> None:
        # Truncation belongs to the Rust tokenizer (it keeps room for [CLS] and [SEP]); set only on a change, as
        # every parse asks for the same length.
        current = self.backend.truncation
        if max_length is None and current is not None:
            self.backend.no_truncation()
        elif max_length is not None and (current is None or current["max_length"] != max_length):
            self.backend.enable_truncation(max_length)


def _arrays(encodings: list[Encoding], offsets: bool) -> dict[str, np.ndarray]:
    """The batch as transformers returns it: one int64 array per field, the offsets only when asked for."""
    fields = {"input_ids": "ids", "token_type_ids": "type_ids", "attention_mask": "attention_mask"}
    if offsets:
        fields["offset_mapping"] = "offsets"
    return {name: np.array([getattr(e, field) for e in encodings], dtype=np.int64) for name, field in fields.items()}


def load_tokenizer() -> WordPieceTokenizer:
    """The packaged MiniLM's tokenizer (its character offsets map tags back to text)."""
    from weights import resolve

    return WordPieceTokenizer.from_folder(resolve("minilm"))


def word_starts(text: str, offsets: list[list[int]]) -> list[tuple[int, int, int]]:
    """(token index, word start, word end) for the first token of each word. A token continues the word
    before it when they touch and both sides are letters or digits ("flannel" → "flan", "##nel"), or across a
    hyphen or apostrophe inside a word ("tie-dye", "Levi's"); other punctuation is a word of its own
    ("jacket," → "jacket", ","). Only these first tokens carry a label, so a span can never end inside a word."""
    words: list[list[int]] = []
    for j, (start, end) in enumerate(offsets):
        if start == end:
            continue
        touching = words and words[-1][2] == start
        if touching and (_joined(text, start) or _connector(text, start) or _connector(text, start - 1)):
            words[-1][2] = end
        else:
            words.append([j, start, end])
    return [tuple(w) for w in words]


def _joined(text: str, i: int) -> bool:
    return text[i - 1].isalnum() and text[i].isalnum()


def _connector(text: str, i: int) -> bool:
    """A hyphen or apostrophe with a letter or digit on both sides: part of the word it sits in."""
    return 0 < i < len(text) - 1 and text[i] in "-'’" and text[i - 1].isalnum() and text[i + 1].isalnum()
