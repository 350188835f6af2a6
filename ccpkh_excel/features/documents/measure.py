"""How long a line of text and a drawn line are on the page, for the lengths Nghị định 30
sets: the line under the Tiêu ngữ as long as the Tiêu ngữ, the line under the agency's name
1/3–1/2 of that name's line, centred.

Text is measured with the metrics of Times New Roman, or of a font with the same metrics
(Liberation Serif, as Debian ships it): found by matplotlib's font manager, measured with
Pillow. Without either font the width is estimated (0.5 em a letter).
"""

from __future__ import annotations

import functools

PT_MM = 25.4 / 72


@functools.cache
def _font_file(bold: bool) -> str | None:
    from matplotlib import font_manager

    for family in ("Times New Roman", "Liberation Serif", "Tinos"):
        try:
            return font_manager.findfont(
                font_manager.FontProperties(family=family, weight="bold" if bold else "normal"),
                fallback_to_default=False,
            )
        except (ValueError, RuntimeError):
            continue
    return None


@functools.cache
def _font(bold: bool, size_pt: float):
    from PIL import ImageFont

    path = _font_file(bold)
    return ImageFont.truetype(path, int(round(size_pt * 20))) if path else None


def text_mm(text: str, size_pt: float, bold: bool = False) -> float:
    """The width of `text` set in Times New Roman at `size_pt`, in millimetres."""
    font = _font(bold, float(size_pt))
    if font is None:
        return len(text) * 0.5 * size_pt * PT_MM
    return font.getlength(text) / 20 * PT_MM


def wrapped_lines(text: str, size_pt: float, bold: bool, width_mm: float) -> list[str]:
    """`text` broken into lines at spaces as a word processor does in a box `width_mm` wide."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and text_mm(trial, size_pt, bold) > width_mm:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def widest_line_mm(text: str, size_pt: float, bold: bool, width_mm: float) -> float:
    return max((text_mm(x, size_pt, bold) for x in wrapped_lines(text, size_pt, bold, width_mm)), default=0.0)


def agency_rule_mm(name_lines: list[tuple[str, float, bool]], width_mm: float) -> float:
    """The length to draw under an agency name: 2/5 of its widest line (within 1/3–1/2)."""
    widest = max((widest_line_mm(t, s, b, width_mm) for t, s, b in name_lines), default=0.0)
    return round(0.4 * widest, 1)
