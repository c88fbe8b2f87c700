"""What makes a garment read as each style: one recipe per name in the style vocabulary (tryon.STYLES).

A recipe is written for a stylist: a palette of named colours (the vocabulary's, so "rust" means the parser's
rust), prints in the order they are tried, the fabric the garment is redrawn as, finishes, and how the garment's
logos are worn (as printed, or tonal: a shade off the cloth, as a minimalist label is). The first
colour is the ground, the others are the print's. ``style.RecipeRestyler`` draws them; see style/textures.py for
what each print and fabric looks like.

Prints: solid, stripe, pinstripe, tartan, plaid, gingham, ditsy floral, floral, paisley, polka dot, leopard,
camo, tie-dye, lace, ikat, argyle, herringbone, houndstooth, colour block.
Fabrics: cotton, jersey, linen, denim, canvas, suede, leather, velvet, satin, sequins, wool, tweed, knit, chiffon,
technical.
Finishes: faded (sun-bleached, lifted blacks), washed (softer contrast), grain (film-like noise), crisp (a touch
more contrast). Rips and frayed edges are accents: drawn, they read as smears, so a stylist adds them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    palette: tuple[str, ...]  # vocabulary colour names; the first is the ground
    prints: tuple[str, ...]  # the first is the default; the others are alternatives a stylist can pick
    fabric: str
    finish: tuple[str, ...] = ()
    scale: str = "medium"  # the print's size on the garment: small, medium or large
    accents: str = ""  # what a stylist would add by hand (and a diffusion prompt can say)
    logos: str = "kept"  # kept as printed (re-inked if the new cloth would swallow them), or "tonal": a shade off it


# Laid out by hand, one style a block, so a stylist can read and edit them.
# fmt: off
RECIPES: dict[str, Recipe] = {
    "vintage":     Recipe(("rust", "mustard", "cream", "brown"), ("floral", "ditsy floral", "gingham"),
                          "cotton", ("faded",), "medium", "70s: wide collar, covered buttons"),
    "minimalist":  Recipe(("grey melange", "white", "black"), ("solid",),
                          "cotton", ("crisp",), "medium", "no trims, hidden placket", "tonal"),
    "boho":        Recipe(("cream", "terracotta", "rust", "olive", "mustard"), ("paisley", "tie-dye", "floral"),
                          "linen", ("washed",), "medium", "fringe, tassels, embroidery"),
    "streetwear":  Recipe(("grey", "black", "charcoal", "light grey"), ("camo", "colour block"),
                          "jersey", (), "large", "oversized fit, big logo, drop shoulders"),
    "classic":     Recipe(("camel", "black", "off-white"), ("houndstooth", "herringbone"),
                          "wool", ("crisp",), "medium", "horn buttons, notch lapels, a trench's check lining"),
    "preppy":      Recipe(("navy", "dark green", "red", "mustard"), ("tartan", "argyle", "stripe"),
                          "cotton", ("crisp",), "medium", "crest, contrast collar"),
    "sporty":      Recipe(("cobalt", "black", "white", "fluorescent green"), ("colour block", "stripe"),
                          "technical", (), "large", "piping, side stripes, zip"),
    "elegant":     Recipe(("wine", "champagne"), ("solid",),
                          "satin", (), "medium", "draped neckline, self-covered buttons"),
    "grunge":      Recipe(("dark red", "black", "charcoal"), ("plaid",),
                          "cotton", ("faded",), "large", "rips, safety pins, layered tee"),
    "gothic":      Recipe(("black", "burgundy"), ("lace", "solid"),
                          "velvet", (), "small", "silver hardware, corset lacing"),
    "romantic":    Recipe(("light pink", "white", "rose"), ("floral", "lace"),
                          "chiffon", (), "medium", "ruffles, bows, puff sleeves"),
    "y2k":         Recipe(("light pink", "hot pink", "black", "lilac"), ("leopard", "tie-dye"),
                          "satin", (), "medium", "rhinestones, butterflies, baby-tee fit"),
    "casual":      Recipe(("slate", "white"), ("solid", "stripe"),
                          "denim", ("washed",), "medium", "patch pockets, rolled sleeves, raw hem"),
    "business":    Recipe(("charcoal", "light grey"), ("pinstripe", "solid"),
                          "wool", ("crisp",), "small", "tailored collar, shirt cuffs"),
    "western":     Recipe(("dark red", "white", "black"), ("paisley", "solid"),
                          "cotton", ("washed",), "small", "bandana print, yoke, snap buttons, fringe"),
    "utility":     Recipe(("greenish khaki", "khaki", "olive"), ("solid", "camo"),
                          "canvas", ("washed",), "large", "cargo pockets, epaulettes, D-rings"),
    "coastal":     Recipe(("white", "navy", "light blue"), ("stripe",),
                          "linen", ("washed",), "medium", "rope trim, rolled sleeves"),
    "ethnic":      Recipe(("crimson", "mustard", "teal", "dark purple", "gold"), ("ikat", "paisley"),
                          "cotton", (), "medium", "mirror work, embroidered neckline"),
    "luxe":        Recipe(("gold", "black"), ("solid",),
                          "sequins", (), "small", "gold hardware, silk lining"),
    "cottagecore": Recipe(("white", "rose", "sage", "cream"), ("gingham", "ditsy floral"),
                          "linen", ("washed",), "medium", "puff sleeves, smocking, lace trim"),
}
# fmt: on
