"""style: restyling garments into named looks (the style vocabulary is tryon's, shared with the parser).

    out = restyle(Image.open("shirt.jpg"), "vintage")               # neural engine on the CPU, garment only
    out = restyle(photo, Image.open("painting.jpg"), strength=0.6)   # a reference picture
    out = restyle(photo, [Image.open(p) for p in history])           # a shopper's taste
    out = restyle(photo, "boho", engine="diffusers", steps=20)       # with ATELIER_WEIGHTS_DIFFUSION set
"""

from tryon import STYLES, canonical_style, get_style

from .neural import NeuralRestyler, RestyleError, RestyleOutput
from .references import PALETTES, reference_image
from .restyle import ENGINES, restyle

__all__ = [
    "ENGINES",
    "PALETTES",
    "STYLES",
    "NeuralRestyler",
    "RestyleError",
    "RestyleOutput",
    "canonical_style",
    "get_style",
    "reference_image",
    "restyle",
]
