"""Shopper photos kept at their request only, and the private folders the server writes into."""

from __future__ import annotations

import hashlib
import io
import shutil
import time
from pathlib import Path

from PIL import Image

from atelier_io import atomic_write

from .uploads import check_user_id


def private_folder(path: Path) -> Path:
    """``path`` created if needed and readable by the server's own user only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """``data`` written to ``path`` atomically, readable by the server's own user only (0600) from the first byte."""
    return atomic_write(path, data, mode=0o600)


class PhotoVault:
    """Kept photos as metadata-free PNGs under ``root/<sha256 of the user id>/``.

    A folder is named by a hash of the id, never the id itself, so no id can name a path outside ``root``
    (``..`` once deleted the store's folder); the resolved path is checked as well."""

    def __init__(self, root: Path):
        self.root = root

    def folder(self, user_id: str) -> Path:
        digest = hashlib.sha256(check_user_id(user_id).encode()).hexdigest()[:32]
        folder = (self.root / digest).resolve()
        if folder.parent != self.root.resolve():
            raise ValueError("a user's photo folder must lie inside the vault")
        return folder

    def keep(self, user_id: str, image: Image.Image) -> Path:
        private_folder(self.root)
        folder = private_folder(self.folder(user_id))
        buffer = io.BytesIO()
        image.save(buffer, "PNG")  # re-encoded from pixels: no EXIF, GPS or camera data survives
        return write_private(folder / f"{time.time_ns()}.png", buffer.getvalue())

    def count(self, user_id: str) -> int:
        folder = self.folder(user_id)
        return len(list(folder.glob("*.png"))) if folder.is_dir() else 0

    def forget(self, user_id: str) -> int:
        count = self.count(user_id)
        shutil.rmtree(self.folder(user_id), ignore_errors=True)
        return count
