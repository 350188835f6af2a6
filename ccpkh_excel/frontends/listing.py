"""How a long list is shown to a clerk: the terminal and Excel's message boxes show the first
items and how many more, never a thousand unit codes (issue 8: totals and the files with
problems, not one line per file)."""

from __future__ import annotations

SHOWN = 20  # items of a list written out in full on one line
LINES = 25  # lines of a list shown one per line (a message box)


def some_of(items: list[str], more: str, limit: int | None = None) -> str:
    """The first `limit` of `items` joined by commas, then "… và N `more`" if there are more
    (`more` says what they are and where to see them all: "đơn vị khác (xem sheet Theo dõi nộp)")."""
    limit = SHOWN if limit is None else limit
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" … và {len(items) - limit} {more}"


def first_lines(items: list[str], more: str, limit: int | None = None) -> list[str]:
    """`items` one per line ("- …"), the first `limit` of them, then "… và N `more`"."""
    limit = LINES if limit is None else limit
    lines = [f"- {x}" for x in items[:limit]]
    if len(items) > limit:
        lines.append(f"… và {len(items) - limit} {more}")
    return lines
