"""The book's colours: the Okabe & Ito (2008) palette, told apart with the common colour-vision deficiencies, with its
three light members (orange, sky blue, yellow) darkened along their hue until every mark reaches WCAG 2.1's 3:1
contrast against the white page (success criterion 1.4.11, non-text contrast). Grey stands for "no information"."""

from __future__ import annotations

BLUE = "#0072B2"
ORANGE = "#B86E00"  # Okabe-Ito #E69F00, darkened (2.3:1 -> 4.0:1)
GREEN = "#009E73"
PURPLE = "#CC79A7"
VERMILLION = "#D55E00"
GOLD = "#8F7300"  # Okabe-Ito yellow #F0E442, darkened (1.3:1 -> 4.6:1)
SKY = "#2F7FB5"  # Okabe-Ito sky blue #56B4E9, darkened (2.3:1 -> 4.4:1)
BLACK = "#000000"
GREY = "#767676"
WHITE = "#ffffff"

# The order categories take them in: the most distinct first.
CATEGORICAL = [BLUE, ORANGE, GREEN, PURPLE, BLACK, VERMILLION, GOLD, GREY]
MINIMUM_CONTRAST = 3.0


def _luminance(colour: str) -> float:
    hex_ = colour.lstrip("#")
    if len(hex_) == 3:
        hex_ = "".join(c * 2 for c in hex_)
    channels = [int(hex_[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(colour: str, against: str = WHITE) -> float:
    """WCAG 2.1 contrast ratio of two hex colours (1 to 21)."""
    high, low = sorted((_luminance(colour), _luminance(against)), reverse=True)
    return (high + 0.05) / (low + 0.05)
