"""Fast .xlsx writing for the hot paths: worksheet XML built as text, and a workbook
re-zipped with some parts replaced. Used where openpyxl is too slow (a thousand report
workbooks, a province's merge); openpyxl builds the styled skeletons these fill.

Strings are always written inline (t="inlineStr"): never a formula, whatever they start with.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EPOCH = date(1899, 12, 30)
NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def col_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def col_number(letters: str) -> int:
    """ "A" → 1, "XFD" → 16384 (0 for anything that is not column letters)."""
    n = 0
    for ch in letters:
        if not "A" <= ch <= "Z":
            return 0
        n = n * 26 + ord(ch) - 64
    return n


def serial(d: date | datetime) -> float:
    if isinstance(d, datetime):
        delta = d - datetime(1899, 12, 30)
        return delta.days + delta.seconds / 86400
    return (d - EPOCH).days


_SPECIAL = re.compile('[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')


def text(s: str) -> str:
    if not _SPECIAL.search(s):
        return s
    return escape(_ILLEGAL.sub("", s), {'"': "&quot;"})


def written_text(s: str) -> str:
    """A text as a reader gets it back once written by `text` (characters XML cannot hold dropped)."""
    return _ILLEGAL.sub("", s) if _SPECIAL.search(s) else s


class ErrorValue(str):
    """An error a formula computes (#VALUE!, #DIV/0! …), written with t="e"."""


_UNKNOWN = object()
UNKNOWN = _UNKNOWN  # a formula whose value is not computed (Excel computes it on opening)


class Formula(str):
    """A cell formula (without the leading "="), and the value it computes when known: it is
    written as the cell's cached value, which readers that do not calculate show."""

    value: object = _UNKNOWN

    def __new__(cls, formula: str, value: object = _UNKNOWN):
        obj = super().__new__(cls, formula)
        obj.value = value
        return obj

    @property
    def known(self) -> bool:
        return self.value is not _UNKNOWN


class SharedFormula:
    """A cell of a shared formula — what Excel writes for a formula filled down a column: the
    first cell carries the formula text (of its own row) and the range `ref` it covers, every
    other cell only its group number `si`. `value`: the computed value, as for `Formula`."""

    __slots__ = ("si", "value", "formula", "ref")

    def __init__(self, si: int, value: object = _UNKNOWN, formula: str = "", ref: str = ""):
        self.si, self.value, self.formula, self.ref = si, value, formula, ref

    def xml(self) -> str:
        if self.formula:
            return f'<f t="shared" ref="{self.ref}" si="{self.si}">{text(self.formula)}</f>'
        return f'<f t="shared" si="{self.si}"/>'

    def _key(self) -> tuple:
        return (self.si, self.formula, self.ref, type(self.value), self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SharedFormula) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"SharedFormula({self.si}, {self.value!r}, {self.formula!r}, {self.ref!r})"


def number(x: float | int) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def formula_cell(ref: str, attrs: str, formula_xml: str, value: object = _UNKNOWN) -> str:
    """`<c>` holding a formula (`formula_xml`: its `<f>` element) and its cached value:
    text with t="str", booleans t="b", errors t="e", numbers and dates as numbers."""
    if value is _UNKNOWN:
        return f'<c r="{ref}"{attrs}>{formula_xml}</c>'
    if isinstance(value, ErrorValue):
        return f'<c r="{ref}"{attrs} t="e">{formula_xml}<v>{text(str(value))}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{attrs} t="b">{formula_xml}<v>{int(value)}</v></c>'
    if isinstance(value, (date, datetime)):
        value = serial(value)
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{attrs}>{formula_xml}<v>{number(value)}</v></c>'
    if value is None:
        value = ""
    return f'<c r="{ref}"{attrs} t="str">{formula_xml}<v>{text(str(value))}</v></c>'


def cell(ref: str, value: object, style: int | None = None) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(value, Formula):
        return formula_cell(ref, s, f"<f>{text(value)}</f>", value.value)
    if isinstance(value, SharedFormula):
        return formula_cell(ref, s, value.xml(), value.value)
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, (date, datetime)):
        return f'<c r="{ref}"{s}><v>{serial(value)}</v></c>'
    value = str(value)
    space = ' xml:space="preserve"' if _KEEP_SPACE.search(value) else ""  # as Excel: only where needed
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text(value)}</t></is></c>'


_KEEP_SPACE = re.compile(r"^\s|\s$|\s\s|[^\S ]")  # leading, trailing, doubled or other than " "


_LETTERS = [col_letter(i) for i in range(1, 200)]


# What follows `<c r="A1` for a (type, value, style) that repeats — a unit's name, a status, a
# date — rendered once by `cell` (which the output is always equal to). Bounded: short texts
# and plain dates only, so a province's free text does not fill the memory.
_TAILS: dict[tuple, str] = {}
_TAILS_MAX = 50_000
_TAIL_TEXT = 64
_HEAD = len('<c r="\x00')


def _tail(v: object, style: int | None) -> str | None:
    t = type(v)
    if t is str:
        if len(v) > _TAIL_TEXT:
            return None
    elif t is datetime:
        if v.tzinfo is not None:
            return None
    elif t is SharedFormula:  # a cell under the first of its group: the same for every row
        if v.formula or (type(v.value) is str and len(v.value) > _TAIL_TEXT):
            return None
    elif t is not date and t is not bool and v is not None:
        return None
    key = (t, v, style)
    tail = _TAILS.get(key)
    if tail is None:
        full = cell("\x00", v, style)
        tail = full[_HEAD:] if full else ""
        if len(_TAILS) < _TAILS_MAX:
            _TAILS[key] = tail
    return tail


_OPEN = ['<c r="' + letters for letters in _LETTERS]


def row(r: int, values: list[object], styles: list[int | None], start_col: int = 1, attrs: str = "") -> str:
    n = len(styles)
    rs = str(r)
    cells = [f'<row r="{rs}"{attrs}>']
    get = _TAILS.get
    for i, v in enumerate(values):
        style = styles[i] if i < n else None
        try:
            tail = get((type(v), v, style))  # only what `_tail` keeps is ever there
        except TypeError:  # an unhashable value
            tail = None
        if tail is None:
            tail = _tail(v, style)
        if tail is None:
            cells.append(cell(_LETTERS[start_col + i - 1] + rs, v, style))
        elif tail:
            cells.append(_OPEN[start_col + i - 1] + rs + tail)
    cells.append("</row>")
    return "".join(cells)


def styles_of(sheet_xml: str) -> dict[str, int]:
    """Style index of every cell in a worksheet XML: {"A1": 3, …}."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r'<c r="([A-Z]+\d+)"[^>]*? s="(\d+)"', sheet_xml)}


def split_sheet(sheet_xml: str) -> tuple[str, str]:
    """(everything before the rows, everything after) of a worksheet XML."""
    m = re.search(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", sheet_xml, re.S)
    if not m:
        raise ValueError("worksheet without sheetData")
    return sheet_xml[: m.start()], sheet_xml[m.end() :]


def sheet_paths(parts: dict[str, bytes] | zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part name ("xl/worksheets/sheet3.xml")."""
    read = parts.read if isinstance(parts, zipfile.ZipFile) else parts.__getitem__
    wb = SafeET.fromstring(read("xl/workbook.xml"))
    rels = SafeET.fromstring(read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
    out = {}
    for sh in wb.find("m:sheets", NS).findall("m:sheet", NS):
        t = target[sh.get(f"{{{NS['r']}}}id")]
        out[sh.get("name")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def read_parts(path: Path | bytes) -> dict[str, bytes]:
    src = path if isinstance(path, (str, Path)) else __import__("io").BytesIO(path)
    with zipfile.ZipFile(src) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def write_parts(parts: dict[str, bytes], path: Path, level: int = 1) -> None:
    """Write parts (in their order) as a zip; [Content_Types].xml first as Office expects."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        names = sorted(parts, key=lambda n: n != "[Content_Types].xml")
        for name in names:
            data = parts[name]
            z.writestr(name, data if isinstance(data, bytes) else data.encode("utf-8"))


CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def custom_props_xml(props: dict[str, str]) -> bytes:
    items = "".join(
        f'<property fmtid="{CUSTOM_FMTID}" pid="{i}" name="{text(k)}"><vt:lpwstr>{text(v)}</vt:lpwstr></property>'
        for i, (k, v) in enumerate(props.items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' + items + "</Properties>"
    ).encode("utf-8")


def read_custom_props(z: zipfile.ZipFile) -> dict[str, str]:
    try:
        root = SafeET.fromstring(z.read("docProps/custom.xml"))
    except KeyError:
        return {}
    out = {}
    for p in root:
        name = p.get("name")
        value = "".join(p.itertext())
        if name:
            out[name] = value
    return out


def read_modified(z: zipfile.ZipFile) -> datetime | None:
    """docProps/core.xml dcterms:modified: when the file was last saved, as local time."""
    from ccpkh_excel.domain.times import from_w3cdtf

    try:
        root = SafeET.fromstring(z.read("docProps/core.xml"))
    except KeyError:
        return None
    for el in root:
        if el.tag.endswith("}modified") and el.text:
            return from_w3cdtf(el.text)
    return None


def row_height(values: list[object], widths: list[float], line: float = 16.0, minimum: float = 18.0) -> float:
    """Height (pt) that shows wrapped text whole: lines per cell from its column width."""
    lines = 1
    for v, w in zip(values, widths, strict=False):
        if isinstance(v, str) and v and w:
            per_line = max(int(w * 1.05), 4)
            n = sum(max(1, -(-len(part) // per_line)) for part in v.split("\n"))
            lines = max(lines, n)
    return max(minimum, round(lines * line + 4, 1))
