"""One reader for cell values: what a cell holds, as text, as a date, as a stored record value.

Cells come from python-calamine (str, int, float, bool, date, datetime, time), openpyxl or
xlwings; text is returned NFC, trimmed, spaces collapsed (`clean`) or, for free text, with its
own line breaks kept (`clean_text`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from ccpkh_excel.domain.vntext import clean, clean_text

EXCEL_EPOCH = date(1899, 12, 30)
_DMY = re.compile(r"(?:ngày\s*)?(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})", re.IGNORECASE)
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


BLANK = frozenset((None, ""))  # what an empty cell reads as (a set: `BLANK.issuperset(row)` in C)


def is_blank(value: object) -> bool:
    return value is None or value == ""


def cell_text(value: object) -> str:
    """A cell as one line of text: dates as dd/mm/yyyy, whole floats without ".0"."""
    if is_blank(value):
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean(value)


def free_text(value: object) -> str:
    """A free-text answer as stored: NFC, trimmed, its own line breaks kept."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime, date)):
        return f"{value:%d/%m/%Y}"
    return clean_text(value) if isinstance(value, str) else str(value)


def read_date(value: object) -> date | None | bool:
    """A date from a cell: a real date, an Excel serial or text like 15/3/2026 or 2026-03-15.

    None for an empty cell, False when there is something that is not a date."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EXCEL_EPOCH + timedelta(days=int(value)) if 20000 < value < 80000 else False
    text = clean(value)
    for pattern, order in ((_DMY, (2, 1, 0)), (_YMD, (0, 1, 2))):
        if m := pattern.fullmatch(text):
            parts = [int(g) for g in m.groups()]
            y, mth, d = (parts[i] for i in order)
            y = y + 2000 if y < 100 else y
            try:
                return date(y, mth, d)
            except ValueError:
                return False
    return False


def cell_date(value: object) -> date | None:
    """A date from a cell, or None when it holds none."""
    d = read_date(value)
    return d or None


def record_value(value: object, kind: str) -> object:
    """A value of a record sheet as stored, by the column's kind (text, date, datetime, int)."""
    if is_blank(value):
        return ""
    if kind in ("date", "datetime"):
        if isinstance(value, datetime):
            value = (value + timedelta(milliseconds=500)).replace(microsecond=0)  # serials are not exact
            return value if kind == "datetime" else value.date()
        if isinstance(value, date):
            return value
        return clean(value)
    if kind == "int":
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return clean(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(value) if isinstance(value, str) else str(value)


def remembered(convert, limit: int = 1_000_000):
    """`convert` remembered per (hashable) value — sheets repeat their values a great deal
    (unit codes, roles, periods, statuses); at most `limit` values are kept."""
    seen: dict = {}

    def inner(value):
        key = (type(value), value)
        try:
            return seen[key]
        except KeyError:
            out = convert(value)
            if len(seen) < limit:
                seen[key] = out
            return out
        except TypeError:  # unhashable
            return convert(value)

    return inner


# the types whose values are never equal to a value of another of them (1 == 1.0 == True and
# Decimal(1) == 1 are: numbers, and str subclasses, go one by one)
_SHARED_TYPES = frozenset((str, type(None), date, datetime, time, timedelta))


def convert_each(values, convert, table: dict | None = None) -> list:
    """`convert` of every value of a column, once per distinct value: `table` (value →
    converted; may be kept between the pieces of one column) makes every repeated code,
    name, period or status one object. A column holding anything but text, dates and times
    (numbers: 1 == 1.0 == True are one key) is converted value by value."""
    if not _SHARED_TYPES.issuperset(map(type, values)):
        return list(map(convert, values))
    distinct = set(values)
    if table is None:
        table = {}
    for v in distinct.difference(table):
        table[v] = convert(v)
    return list(map(table.__getitem__, values))
