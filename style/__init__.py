"""style: restyling garments into named looks; the style vocabulary is shared with the instruction parser."""

from .vocabulary import STYLES, canonical_style

__all__ = ["STYLES", "canonical_style"]
