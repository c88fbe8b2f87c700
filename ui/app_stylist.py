"""The stylist tab: garments × looks (named styles, a reference picture, a customer's taste), side by side."""

from __future__ import annotations

import io
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import gradio as gr
from PIL import Image

from atelier_io import load_image
from style import STYLES

from .app_rules import WHOLE, admin, allow, logged, read_upload, shown, strip_on_upload
from .engines import Engines
from .uploads import public_message

MAX_LOOKS = 24  # garments × styles in one go: about 0.3 s each on two cores
ZIP_HOURS = 1
DEFAULT_STYLES = ["vintage", "minimalist", "boho", "streetwear"]


def stylist_tab(engines: Callable[[], Engines], garments: list[tuple[str, str]], zips: Path) -> None:
    """``zips``: the folder the zips of looks are written to, the app's own (``create_app`` removes it when the
    server stops)."""
    with gr.Row():
        with gr.Column(scale=1):
            picked = gr.CheckboxGroup(garments, value=[g for _, g in garments[:2]], label="Catalog garments")
            uploads = gr.File(label="…and/or your own garment photos", file_count="multiple",
                              file_types=[".jpg", ".jpeg", ".png", ".webp"])
            styles = gr.CheckboxGroup([s.name for s in STYLES], value=DEFAULT_STYLES, label="Styles")
            reference = gr.Image(label="A reference picture to take the look of (optional)", type="filepath",
                                 image_mode=None, sources=["upload", "clipboard"], height=180)
            with gr.Accordion("A customer's taste (staff: needs an admin key)", open=False):
                customer = gr.Textbox(label="Customer id", max_lines=1, info="the look of the items in their history")
                staff_key = gr.Textbox(label="Your admin key", type="password", max_lines=1)
            with gr.Accordion("Controls", open=False):
                strength = gr.Slider(0, 1, value=0.8, step=0.05, label="Strength")
                keep_colour = gr.Checkbox(label="Keep the garment's colours", value=False)
        with gr.Column(scale=2):
            # Up here, beside the choices: under the garment list it was two screens down.
            go = gr.Button("Restyle", variant="primary")
            gallery = gr.Gallery(label="Looks", columns=4, height="auto", object_fit="contain", interactive=False,
                                 format="png", elem_classes=[WHOLE])
            applied = gr.Markdown(label="What each look applied")
            download = gr.File(label="Download all (zip of PNGs)", interactive=False)

    @logged
    def run(ids: list[str], files: list[str] | None, names: list[str], ref: str | None, user: str, secret: str,
            power: float, preserve: bool, request: gr.Request,
            progress=gr.Progress()) -> tuple[list[tuple[Image.Image, str]], str, str]:
        loaded = allow(engines(), request)
        if user and user.strip():
            admin(loaded, secret)  # a stored history is staff-only here, as on the REST API
        try:
            photos = [(loaded.garment(i).title, load_image(loaded.garment(i).image_path)) for i in ids or []]
        except (KeyError, ValueError) as err:
            raise shown(err) from err
        photos += [(Path(f).stem, read_upload(f, Path(f).name)) for f in files or []]
        looks = [("style", n) for n in names or []]
        looks += [("reference", read_upload(ref, "reference picture"))] if ref else []
        looks += [("customer", user.strip())] if user and user.strip() else []
        if not photos or not looks:
            raise gr.Error("pick at least one garment and one look (a style, a reference picture or a customer)")
        if len(photos) * len(looks) > MAX_LOOKS:
            raise gr.Error(f"{len(photos)} garments × {len(looks)} looks is over {MAX_LOOKS} at once; pick fewer")
        results, notes = [], []
        for step, ((title, photo), (kind, look)) in enumerate((p, x) for p in photos for x in looks):
            progress(step / (len(photos) * len(looks)), desc=f"{title}: {look if kind == 'style' else kind}")
            options = {"style": look} if kind == "style" else {"style_image": look} if kind == "reference" else {
                "user_id": look}
            try:
                out = loaded.restyle(photo, strength=power, preserve_colour=preserve, **options)
            except (KeyError, ValueError) as err:
                raise gr.Error(f"{title}: {public_message(err)}") from err
            # The look first: a gallery caption is cut at the tile's width, and the look is what the stylist compares.
            caption = f"{look if kind != 'reference' else 'reference picture'} · {title}"
            results.append((out.image, caption))
            notes.append(f"- **{caption}**: {out.description}")
        return results, _zip(results, zips), "\n".join(notes)

    strip_on_upload(uploads)
    strip_on_upload(reference)
    go.click(run, inputs=[picked, uploads, styles, reference, customer, staff_key, strength, keep_colour],
             outputs=[gallery, download, applied], api_name="restyle")


def _zip(results: list[tuple[Image.Image, str]], folder: Path) -> str:
    """The looks as PNGs in one zip in ``folder`` (made again if a restart of the app removed it); Gradio serves a
    copy from its cache, so zips older than an hour go at the next run."""
    folder.mkdir(mode=0o700, exist_ok=True)
    for old in folder.glob("*.zip"):
        if time.time() - old.stat().st_mtime > ZIP_HOURS * 3600:
            old.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="looks-", suffix=".zip", delete=False) as out, \
            zipfile.ZipFile(out, "w") as archive:
        for n, (image, caption) in enumerate(results, 1):
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            safe = "".join(c if c.isalnum() else "-" for c in caption)[:60]
            archive.writestr(f"{n:02d}-{safe}.png", buffer.getvalue())
    return out.name
