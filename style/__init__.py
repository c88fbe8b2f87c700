"""style: restyling garments into named looks (the style vocabulary is tryon's, shared with the parser).

    out = restyle(Image.open("shirt.jpg"), "vintage")               # the style's recipe, on the CPU, garment only
    out.description                                                  # "vintage: cream, rust, ...; small ditsy floral"
    out = restyle(photo, Image.open("fabric.jpg"))                   # the palette and print read from a picture
    out = restyle(photo, [Image.open(p) for p in history])           # a shopper's taste
    out = restyle(photo, Image.open("painting.jpg"), engine="neural")  # Magenta: a picture's brushwork
    out = restyle(photo, "boho", engine="diffusers", steps=20)       # with ATELIER_WEIGHTS_DIFFUSION set

What each style means is written for stylists in style/recipes.py.
"""

from tryon import STYLES, canonical_style, get_style

from .engine import apply_recipe
from .errors import RestyleError
from .neural import NeuralRestyler, RestyleOutput
from .reading import Reading, read_style
from .recipes import RECIPES, Recipe
from .references import reference_image
from .restyle import ENGINES, restyle
from .textures import FABRICS, PRINTS

__all__ = [
    "ENGINES",
    "FABRICS",
    "PRINTS",
    "RECIPES",
    "STYLES",
    "NeuralRestyler",
    "Reading",
    "Recipe",
    "RestyleError",
    "RestyleOutput",
    "apply_recipe",
    "canonical_style",
    "get_style",
    "read_style",
    "reference_image",
    "restyle",
]
