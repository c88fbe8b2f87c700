"""Files written whole or not at all: a reader never sees half of a model, a prediction file or a kept photo."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | Path, mode: int | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; it replaces ``path`` only when the block ends without an
    error, and is removed when it does not. ``mode`` (e.g. 0o600) is set before the file takes ``path``'s place;
    by default the file keeps the mode of the one it replaces, or gets 0644.

        with replacing("model.pt") as tmp:
            torch.save(state, tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created by mkstemp: 0600 from the start, and a unique name, so two writers never share a temporary file.
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(mode if mode is not None else path.stat().st_mode & 0o777 if path.exists() else 0o644)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, data: bytes | str, mode: int | None = None) -> Path:
    """``data`` written to ``path`` through ``replacing``; text is written as UTF-8."""
    with replacing(path, mode) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    return Path(path)
