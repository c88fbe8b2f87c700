"""What every front end (REST API, Gradio app, CLI) checks before work starts: upload sizes, decoding under a
memory bound, ids that may become file names, and error messages fit to show outside the server."""

from __future__ import annotations

import io
import re
import threading

from PIL import Image

from atelier_io import ImageError, load_image

MAX_QUERY_CHARS = 500
MAX_TEXT_CHARS = 2000  # instructions and requests; the parser reads 64 tokens anyway
MAX_RESULTS = 100
# Uploads above this are refused before decoding; phone photos are well under it.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Decoded size limit for uploads: a 50-megapixel phone photo passes, a decompression bomb does not.
MAX_UPLOAD_PIXELS = 50_000_000
# A user id names a folder of kept photos and appears in URLs: it starts with a letter or digit, so "." and ".."
# can never be one, and it holds no slash.
USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
USER_ID = re.compile(USER_ID_PATTERN)
# A 50 MP photo decodes to 150 MB of RGB; two decodes at a time bound that on a 2-core server, whichever front end
# the photos come through, and more would not finish sooner.
_DECODES = threading.BoundedSemaphore(2)
# An absolute path of two or more parts, not inside a word ("multipart/form-data" is not a path).
_SERVER_PATH = re.compile(r"(?<![\w.~-])(?:/[^\s/'\"(),:;]+)+/([^\s/'\"(),:;]+)")


def check_query(query: str, k: int) -> None:
    """Refuse a search the API would refuse, with a message a shopper can act on."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError("the search text is empty: type what you are looking for, e.g. 'red dress'")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"the search text has {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
    check_k(k)


def check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_RESULTS:
        raise ValueError(f"k (number of results) must be an integer from 1 to {MAX_RESULTS}, got {k!r}")


def check_user_id(user_id: str) -> str:
    if not isinstance(user_id, str) or not USER_ID.match(user_id):
        raise ValueError("a user id is 1 to 64 letters, digits or . _ @ -, starting with a letter or digit")
    return user_id


def declared_pixels(data: bytes) -> int:
    """Width × height as the file's header declares it, without decoding pixels; 0 where the header is unreadable
    (decoding then says why)."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            return probe.size[0] * probe.size[1]
    except (OSError, ValueError, Image.DecompressionBombError):
        return 0


def decode_upload(data: bytes, name: str = "photo") -> Image.Image:
    """An uploaded photo as a metadata-free RGB image (EXIF rotation applied), or ``atelier_io.ImageError``."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise ImageError(f"{name}: the upload is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageError(f"{name}: {len(data):,} bytes is over the limit of {MAX_UPLOAD_BYTES // 2**20} MB")
    _check_pixels(declared_pixels(data), name)  # before decoding: a 200 KB PNG can inflate to gigabytes
    with _DECODES:
        image = load_image(bytes(data))
    _check_pixels(image.size[0] * image.size[1], name)
    return image


def _check_pixels(pixels: int, name: str) -> None:
    if pixels > MAX_UPLOAD_PIXELS:
        raise ImageError(f"{name}: {pixels:,} pixels is over the limit of {MAX_UPLOAD_PIXELS:,}")


def public_message(err: BaseException) -> str:
    """An error's message for a client: the first argument of a KeyError (not its repr), with every server path
    cut to its last part, so a refusal never tells where the server keeps its files."""
    text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    return _SERVER_PATH.sub(r"\1", text)
