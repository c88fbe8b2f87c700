"""The shopper tab: a photo, a request in words, the request as editable chips, the try-on and recommendations."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from tryon import Ask

from . import DEMO_CATALOG
from .app_rules import WHOLE, allow, logged, read_upload, shown, strip_on_upload
from .engines import Engines
from .uploads import public_message

FROM_WORDS = "the one my words describe"
CHIP_SLOTS = ("garment", "colour", "size", "style")
INSTRUCTION_EXAMPLES = ["try the polo on me in M, make it vintage", "the tank top in burgundy, size L",
                        "pink jeans please", "the floral dress but in navy", "show me the velvet wrap top, boho"]
N_RECOMMENDATIONS = 6
# Said under every try-on: the render keeps the outline of what the shopper wears (docs: README, try-on).
PREVIEW_NOTE = ("_A preview of the garment's colour and print on the outline of the top or trousers you wear in the "
                "photo: its neckline, straps and length may differ from the real garment._")


def chips_of(ask: Ask) -> list[str]:
    """A request as "slot: value" chips the shopper can edit."""
    values = {"garment": ask.garment, "colour": ask.colour.name if ask.colour else None, "size": ask.size_label,
              "style": ask.style}
    return [f"{slot}: {value}" for slot, value in values.items() if value]


def read_chips(chips: list[str]) -> dict[str, str]:
    """The chips back as slot -> value (the last chip of a slot wins); a chip without "slot: value" is refused."""
    values = {}
    for chip in chips or []:
        slot, _, value = chip.partition(":")
        slot, value = slot.strip().lower(), value.strip()
        if slot not in CHIP_SLOTS or not value:
            raise gr.Error(f"the chip {chip!r} is not 'slot: value' with a slot among {', '.join(CHIP_SLOTS)}")
        values[slot] = value
    return values


def shopper_tab(engines: Callable[[], Engines], garments: list[tuple[str, str]]) -> None:
    """``garments``: (title, id) of the try-on garments, for the picker."""
    people = sorted(str(p) for p in (DEMO_CATALOG / "tryon" / "people").glob("*.jpg"))
    with gr.Row():
        with gr.Column(scale=1):
            # Photo, words, then the button: at 1400x1000 it sits above the fold; the refinements come after it.
            photo = gr.Image(label="Your photo (front view, whole upper body)", type="filepath", image_mode=None,
                             sources=["upload", "webcam", "clipboard"], height=260)
            if people:
                gr.Examples(people, inputs=photo, label="…or try with a model photo")
            instruction = gr.Textbox(label="What would you like?", max_lines=2,
                                     placeholder="try the polo on me in M, make it vintage")
            go = gr.Button("Try it on", variant="primary")
            gr.Examples(INSTRUCTION_EXAMPLES, inputs=instruction, label="Say it like this")
            garment = gr.Dropdown([(FROM_WORDS, "")] + garments, value="", label="Garment")
            chips = gr.Dropdown([], value=[], multiselect=True, allow_custom_value=True,
                                label="What I understood (edit, remove or add 'slot: value' chips)")
            # No customer id and no "keep my photo" here: this page has no login, so anyone could type anyone's id.
            # A shop does both from its own server through the REST API with an admin key.
            gr.Markdown("Your photo is used for this try-on only and is not kept.")
        with gr.Column(scale=1):
            result = gr.Image(label="You, wearing it", type="pil", interactive=False, height=520, format="png")
            summary = gr.Markdown()
            recommendations = gr.Gallery(label="You might also like", columns=3, height="auto",
                                         object_fit="contain", interactive=False, elem_classes=[WHOLE])

    @logged
    def understand(text: str, request: gr.Request) -> dict:
        if not text or not text.strip():
            return gr.update(choices=[], value=[])
        try:
            values = chips_of(allow(engines(), request).ask(text)[1])
        except (ValueError, TypeError) as err:
            raise shown(err) from err
        return gr.update(choices=values, value=values)

    @logged
    def try_on(path: str | None, garment_id: str, text: str, chip_values: list[str], request: gr.Request,
               progress=gr.Progress()) -> tuple:
        if not path:
            raise gr.Error("upload a photo of yourself first (or pick an example)")
        progress(0.1, desc="Reading your request")
        loaded, text = allow(engines(), request), text or ""
        person = read_upload(path, "your photo")
        try:
            # The chips are what the shopper confirmed (a removed chip stays removed); without any, the words
            # are parsed now, once.
            chips = read_chips(chip_values)
            ask = Ask(text=text).edited(**chips) if chips else loaded.ask(text)[1]
            progress(0.3, desc="Dressing you")
            out = loaded.try_on(person, garment_id or None, ask)
        except (KeyError, ValueError, TypeError) as err:  # ImageError, TryOnError, RestyleError are ValueErrors
            raise shown(err) from err
        progress(0.8, desc="Finding what goes with it")
        details = ", ".join(x for x in (out.size and f"size {out.size}", out.colour, out.style) if x)
        note = f"**{out.garment.title}**{' · ' + details if details else ''} · {out.seconds:.1f} s"
        note += f"\n\n_{out.message}_" if out.message else ""
        note += f"\n\n{PREVIEW_NOTE}"
        looks, picks = _recommendations(loaded, ask, out.garment.title)
        return out.image, f"{note}\n\n{picks}", looks

    chips_event = dict(fn=understand, inputs=instruction, outputs=chips, api_name="parse")
    gr.on([instruction.submit, instruction.blur], **chips_event)
    strip_on_upload(photo)
    go.click(try_on, inputs=[photo, garment, instruction, chips], outputs=[result, summary, recommendations],
             api_name="tryon")


def _recommendations(engines: Engines, ask: Ask, garment: str) -> tuple[list[tuple[str, str]], str]:
    """Catalog items for the shopper's request (the gallery, captioned with titles) and, in Markdown, each one's
    reasons in full: a gallery caption is cut to one line. Words that only ask for a try-on ("put it on me") name
    no fashion request; then, as without words, the items are those that go with ``garment`` (its title)."""
    head = []
    if ask.text.strip() and ask.names_nothing:
        head.append(f"_Your words name no garment, colour, size, style or budget: these go with the {garment}._")
        ask = Ask()
    try:
        answer = engines.recommend(ask=ask, k=N_RECOMMENDATIONS, like=garment)
    except ValueError as err:  # a contradiction or an impossible budget: the try-on above still stands
        return [], f"_{public_message(err)}_"
    found = [(engines.products[r.item_id], r) for r in answer.items if r.item_id in engines.products]
    head += [f"_{answer.message}_"] if answer.message else []
    lines = [f"- **{p.title}**" + (f": {'; '.join(r.reasons)}" if r.reasons else "") for p, r in found]
    return [(str(p.image_path), p.title) for p, _ in found], "\n".join(["**You might also like**", *head, *lines])
