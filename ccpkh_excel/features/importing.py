"""Import a plan's task table (DANH MỤC / Phụ lục) from a .docx, a typed .xlsx, a PDF (its
text layer, or OCR when it is a scan), an image of a scan, or plain text.

The table is found by its header labels wherever it sits (Số TT/STT; Nội dung công
việc/Nội dung nhiệm vụ; Cơ quan chủ trì, or "Đơn vị thực hiện" over Chủ trì | Phối hợp;
Thời gian hoàn thành/Thời hạn; Sản phẩm), across page-split tables; repeated header rows
and column-number rows are skipped, merged cells are filled, roman-numeral group rows
become the Lĩnh vực of the rows under them. Legacy TCVN3/VNI text is converted. A row a
PDF breaks over two pages is joined again. A document without such a table whose "Tổ chức
thực hiện" section assigns duties unit by unit is read by `features.prose`.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ccpkh_excel.domain.plan import Plan, Problem, Task, TaskUpdate, apply_deadline, check_plan, update_tasks
from ccpkh_excel.domain.units import Directory, join_unit_lines
from ccpkh_excel.domain.vntext import clean, clean_lines, decode_legacy, detect_legacy, fold, font_encoding
from ccpkh_excel.errors import SourceError
from ccpkh_excel.features.limits import Limits, check_file
from ccpkh_excel.features.limits import check as check_input
from ccpkh_excel.features.name_review import CHECK_SHEET, Origin, review_rows, settle
from ccpkh_excel.store.master import Master, hold

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
IMAGE_MAGICS = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM")


# --- what kind of file is it? ----------------------------------------------------------
def sniff(path: Path) -> str:
    """Return "docx", "xlsx", "pdf", "image" or "text", or raise SourceError saying why the file
    cannot be read."""
    path = Path(path)
    if not path.exists():
        raise SourceError("không tìm thấy tệp.", path)
    if path.is_dir():
        raise SourceError("đây là thư mục, không phải tệp.", path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise SourceError("tệp rỗng (0 byte).", path)
    if head == OLE_MAGIC:
        raise SourceError(_ole_reason(path), path)
    if head.startswith(b"%PDF"):
        check_file(path, Limits.from_env())
        return "pdf"
    if head.startswith(IMAGE_MAGICS):
        check_file(path, Limits.from_env())
        return "image"
    if path.suffix.lower() in (".txt", ".text") and not head.startswith(b"PK"):
        check_file(path, Limits.from_env())
        return "text"
    if not head.startswith(b"PK"):
        raise SourceError(
            "không phải tệp Word (.docx) hay Excel (.xlsx), cũng không phải PDF, ảnh quét (.png, .jpg, .tif) "
            "hay văn bản (.txt); có thể tệp bị hỏng.",
            path,
        )
    check_file(path, Limits.from_env())  # sizes and ratios from the zip directory before anything is inflated
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise SourceError("tệp bị hỏng, không mở được (nội dung nén không đọc được).", path) from None
    if bad is not None:
        raise SourceError(f"tệp bị hỏng (phần '{bad}' không đọc được).", path)
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise SourceError("không phải tệp Word (.docx) hay Excel (.xlsx).", path)


def _ole_reason(path: Path) -> str:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(s).lower() for s in ole.listdir()}
    except (OSError, ValueError, IndexError):
        return "tệp bị hỏng, không mở được."
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        return "tệp được đặt mật khẩu. Hãy mở bằng Word/Excel, gỡ mật khẩu, lưu lại rồi nhập lại."
    if "worddocument" in streams:
        return "tệp Word cũ (.doc) chưa hỗ trợ. Hãy mở bằng Word và lưu lại dưới dạng .docx."
    if "workbook" in streams or "book" in streams:
        return "tệp Excel cũ (.xls) chưa hỗ trợ. Hãy mở bằng Excel và lưu lại dưới dạng .xlsx."
    return "định dạng Office cũ không hỗ trợ; hãy lưu lại dưới dạng .docx hoặc .xlsx."


# --- grids ------------------------------------------------------------------------------
@dataclass
class Cell:
    lines: list[str]
    origin: bool = True  # False: a column covered by a horizontal merge


@dataclass
class Grid:
    rows: list[list[Cell]]
    where: str  # for messages: "bảng 2", "sheet 'Phụ lục'", "trang 3, bảng 1"
    page: int | None = None  # the page of a PDF or a scan
    printed: bool = False  # lines are where the page wraps them (PDF, scan), not line breaks typed
    scanned: bool = False  # read by OCR

    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


class _DocxFonts:
    """Resolve the font of a run through rFonts, character/paragraph styles and defaults."""

    def __init__(self, doc):
        self.styles: dict[str, tuple[str | None, str | None]] = {}
        self.default = None
        try:
            root = doc.styles.element
        except Exception:  # noqa: BLE001 - no styles part
            return
        d = root.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}/{_w('rFonts')}")
        self.default = self._font(d)
        for st in root.findall(_w("style")):
            sid = st.get(_w("styleId"))
            based = st.find(_w("basedOn"))
            self.styles[sid] = (
                self._font(st.find(f"{_w('rPr')}/{_w('rFonts')}")),
                based.get(_w("val")) if based is not None else None,
            )

    @staticmethod
    def _font(el) -> str | None:
        if el is None:
            return None
        return el.get(_w("ascii")) or el.get(_w("hAnsi")) or el.get(_w("cs"))

    def style_font(self, sid: str | None) -> str | None:
        seen = set()
        while sid and sid not in seen:
            seen.add(sid)
            font, based = self.styles.get(sid, (None, None))
            if font:
                return font
            sid = based
        return None

    def run_font(self, r, p_style: str | None) -> str | None:
        rpr = r.find(_w("rPr"))
        if rpr is not None:
            f = self._font(rpr.find(_w("rFonts")))
            if f:
                return f
            rs = rpr.find(_w("rStyle"))
            if rs is not None and (f := self.style_font(rs.get(_w("val")))):
                return f
        return self.style_font(p_style) or self.default


def _paragraph_text(p, fonts: _DocxFonts, legacy: set[str]) -> str:
    """Text of one w:p, legacy-font runs decoded, breaks kept as newlines."""
    ppr = p.find(_w("pPr"))
    pst = ppr.find(_w("pStyle")) if ppr is not None else None
    p_style = pst.get(_w("val")) if pst is not None else None
    text = []
    for r in p.iter(_w("r")):
        parts = []
        for child in r:
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "t":
                parts.append(child.text or "")
            elif tag == "tab":
                parts.append(" ")
            elif tag in ("br", "cr"):
                parts.append("\n")
            elif tag == "noBreakHyphen":
                parts.append("-")
        chunk = "".join(parts)
        enc, upper = font_encoding(fonts.run_font(r, p_style))
        if enc and chunk.strip():
            legacy.add(enc)
            chunk = decode_legacy(chunk, enc)
            chunk = chunk.upper() if upper else chunk
        text.append(chunk)
    return "".join(text)


def _docx_cell_lines(tc, fonts: _DocxFonts, legacy: set[str]) -> list[str]:
    lines: list[str] = []
    for p in tc.iter(_w("p")):
        lines.extend(clean_lines(_paragraph_text(p, fonts, legacy)))
    return lines


def docx_grids(path: Path) -> tuple[list[Grid], list[str], set[str]]:
    """Tables of a .docx as grids, its body paragraphs, and whether legacy fonts were decoded."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise SourceError(f"không mở được tệp Word ({exc.__class__.__name__}); tệp có bị hỏng không?", path) from None
    except Exception as exc:  # lxml syntax errors and the like: a damaged part
        raise SourceError(f"nội dung tệp Word bị hỏng ({exc.__class__.__name__}).", path) from None
    fonts = _DocxFonts(doc)
    legacy: set[str] = set()
    grids = []
    body = doc.element.body
    for n, tbl in enumerate(body.iter(_w("tbl")), start=1):
        rows: list[list[Cell]] = []
        for tr in tbl.findall(_w("tr")):
            row: list[Cell] = []
            trpr = tr.find(_w("trPr"))
            gb = trpr.find(_w("gridBefore")) if trpr is not None else None
            if gb is not None:
                row.extend(Cell([]) for _ in range(int(gb.get(_w("val"), "0"))))
            for tc in tr.findall(_w("tc")):
                tcpr = tc.find(_w("tcPr"))
                span, vcont = 1, False
                if tcpr is not None:
                    gs = tcpr.find(_w("gridSpan"))
                    if gs is not None:
                        span = int(gs.get(_w("val"), "1"))
                    vm = tcpr.find(_w("vMerge"))
                    if vm is not None and vm.get(_w("val"), "continue") == "continue":
                        vcont = True
                col = len(row)
                if vcont and rows and col < len(rows[-1]):
                    lines = list(rows[-1][col].lines)
                else:
                    lines = _docx_cell_lines(tc, fonts, legacy)
                row.append(Cell(lines))
                row.extend(Cell(lines, origin=False) for _ in range(span - 1))
            rows.append(row)
        grids.append(Grid(rows, f"bảng {n}"))
    paragraphs = []
    for p in body.iter(_w("p")):
        if any(a.tag == _w("tbl") for a in p.iterancestors()):
            continue
        paragraphs.extend(clean_lines(_paragraph_text(p, fonts, legacy)))
    return grids, paragraphs, legacy


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_grids(path: Path) -> tuple[list[Grid], set[str]]:
    """Every sheet of a typed .xlsx as a grid; merged cells filled the way they read."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(str(path), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise SourceError(f"không mở được tệp Excel ({exc.__class__.__name__}); tệp có bị hỏng không?", path) from None
    grids: list[Grid] = []
    legacy: set[str] = set()
    for ws in wb.worksheets:
        merged = {}
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        merged[(r, c)] = (rng.min_row, rng.min_col)
        rows = []
        for r, row in enumerate(ws.iter_rows(), start=1):
            out = []
            for c, cell in enumerate(row, start=1):
                if (r, c) in merged:
                    tr, tc = merged[(r, c)]
                    lines = clean_lines(_decode_cell(ws.cell(row=tr, column=tc), legacy))
                    out.append(Cell(lines, origin=(tc == c)))
                else:
                    out.append(Cell(clean_lines(_decode_cell(cell, legacy))))
            rows.append(out)
        grids.append(Grid(rows, f"sheet '{ws.title}'"))
    wb.close()
    return grids, legacy


def _decode_cell(cell, legacy: set[str]) -> str:
    text = _xlsx_text(cell.value)
    enc, upper = font_encoding(getattr(cell.font, "name", None))
    if enc and text.strip():
        legacy.add(enc)
        text = decode_legacy(text, enc)
        return text.upper() if upper else text
    return text


# --- the task table -----------------------------------------------------------------------
STT, CONTENT, LEAD, COOP, DEADLINE, PRODUCT, FIELD, NOTE, IGNORE = (
    "stt",
    "content",
    "lead",
    "coop",
    "deadline",
    "product",
    "field",
    "note",
    "ignore",
)
LABELS = {
    STT: "Số TT",
    CONTENT: "Nội dung công việc",
    LEAD: "Cơ quan chủ trì",
    COOP: "Cơ quan phối hợp",
    DEADLINE: "Thời gian hoàn thành",
}
REQUIRED = (CONTENT, LEAD, DEADLINE)


def classify(label: str) -> str | None:
    """The role of a header label, or None when it is not a known column."""
    k = fold(label)
    if not k:
        return None
    if k in ("stt", "so tt", "tt", "so thu tu", "s tt"):
        return STT
    if k in ("ma nv", "ma nhiem vu", "ma"):
        return IGNORE
    if "chu tri" in k:
        return LEAD
    if "phoi hop" in k:
        return COOP
    if "han hoan thanh" in k and "thoi gian" not in k:
        return IGNORE
    if any(w in k for w in ("thoi gian", "thoi han", "tien do")):
        return DEADLINE
    if "noi dung" in k or "ten nhiem vu" in k or k in ("nhiem vu", "cong viec", "nhiem vu cu the"):
        return CONTENT
    if "san pham" in k or k.startswith("ket qua"):
        return PRODUCT
    if "linh vuc" in k:
        return FIELD
    if "ghi chu" in k:
        return NOTE
    if k in ("don vi thuc hien", "co quan thuc hien", "don vi chu tri thuc hien", "co quan don vi thuc hien"):
        return LEAD
    return None


def _header_labels(rows: list[list[Cell]], start: int, depth: int, width: int) -> list[str]:
    labels = []
    for c in range(width):
        parts = []
        for r in range(start, start + depth):
            row = rows[r]
            if c < len(row):
                t = " ".join(row[c].lines)
                if t and (not parts or parts[-1] != t):
                    parts.append(t)
        labels.append(" ".join(parts))
    return labels


# Header labels as offices print them, for labels OCR garbled ("N¿úi dung côn z việc").
_KNOWN_LABELS = {
    "so tt": STT,
    "stt": STT,
    "noi dung cong viec": CONTENT,
    "noi dung nhiem vu": CONTENT,
    "co quan chu tri": LEAD,
    "chu tri": LEAD,
    "don vi chu tri": LEAD,
    "co quan phoi hop": COOP,
    "phoi hop": COOP,
    "don vi phoi hop": COOP,
    "thoi gian hoan thanh": DEADLINE,
    "thoi han hoan thanh": DEADLINE,
    "san pham": PRODUCT,
    "ghi chu": NOTE,
}


def classify_read(label: str) -> str | None:
    """`classify`, then for a label OCR read the known label it is clearly closest to."""
    role = classify(label)
    if role is not None or len(label) < 3:
        return role
    from rapidfuzz import fuzz, process

    from ccpkh_excel.domain.vntext import ocr_fold

    hit = process.extractOne(ocr_fold(label), list(_KNOWN_LABELS), scorer=fuzz.ratio, score_cutoff=75)
    return _KNOWN_LABELS[hit[0]] if hit else None


def _mapping(labels: list[str], tolerant: bool = False) -> dict[str, int]:
    """Column of each role; for stacked labels the lowest one decides ("… Chủ trì")."""
    out: dict[str, int] = {}
    for c, label in enumerate(labels):
        role = classify_read(label) if tolerant else classify(label)
        if role and role != IGNORE and role not in out:
            out[role] = c
    return out


@dataclass
class _Header:
    start: int
    depth: int
    columns: dict[str, int]
    labels: list[str]


def _looks_like_header(row: list[Cell], above: list[Cell], tolerant: bool = False) -> bool:
    """A row under a header row that continues it: every filled cell is a known label or
    the same text as above (a vertical merge), and at least one is a new label."""
    new = False
    for c, cell in enumerate(row):
        t = " ".join(cell.lines)
        if not t:
            continue
        if c < len(above) and " ".join(above[c].lines) == t:
            continue
        if (classify_read(t) if tolerant else classify(t)) is None:
            return False
        new = True
    return new


def _find_header(grid: Grid) -> _Header | None:
    width = grid.width()
    rows = grid.rows
    for start in range(min(8, len(rows))):
        labels = _header_labels(rows, start, 1, width)
        cols = _mapping(labels, grid.scanned)
        if CONTENT not in cols or not ({STT, LEAD, DEADLINE} & cols.keys()):
            continue
        depth = 1
        while (
            depth < 3
            and start + depth < len(rows)
            and _looks_like_header(rows[start + depth], rows[start + depth - 1], grid.scanned)
        ):
            depth += 1
            labels = _header_labels(rows, start, depth, width)
            cols = _mapping(labels, grid.scanned)
        return _Header(start, depth, cols, labels)
    return None


_ROMAN = re.compile(r"^(?=[IVXLC]+$)M*(C[MD]|D?C{0,3})(X[CL]|L?X{0,3})(I[XV]|V?I{0,3})$")
_ROMAN_TITLE = re.compile(r"^([IVXLC]+)\s*[.:)\-–]\s*(.+)$")


def _is_roman(s: str) -> bool:
    return bool(s) and bool(_ROMAN.match(s.rstrip(".")))


@dataclass
class ImportedTable:
    """What was read from a source file."""

    path: Path
    tasks: list[Task]
    tables: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    legacy: str = ""  # "TCVN3" / "VNI" when text was converted
    info: dict[str, object] = field(default_factory=dict)
    origins: list[Origin] = field(default_factory=list)  # one per task: where and what was read
    kind: str = ""  # docx, xlsx, pdf, scan, text
    prose: bool = False  # read from the "Tổ chức thực hiện" section, not from a table
    warnings: list[str] = field(default_factory=list)  # what the clerk must verify (page given)
    notes: list[str] = field(default_factory=list)  # what is worth knowing (words OCR was unsure of)
    uncertain: dict[int, set[str]] = field(default_factory=dict)  # page → words OCR was unsure of

    @property
    def scanned(self) -> bool:
        """True when the text was read by OCR: the clerk checks it."""
        return self.kind == "scan"


def _join(lines: list[str]) -> str:
    """Join a text cell's lines: bullet lines stay items ("; "), wrapped lines join."""
    return join_unit_lines(lines, None)


def _join_printed(lines: list[str]) -> str:
    """Join the lines a page wraps: a word cut after its hyphen ("287/BC-⏎BTP") is joined back."""
    text = ""
    for line in lines:
        if text.endswith("-") and len(text) > 1 and text[-2].isalnum() and line[:1].isalnum():
            text += line
        else:
            text = f"{text} {line}" if text else line
    return clean(text)


def _parse_grid(grid: Grid, header: _Header, directory: Directory | None, state: dict, out: ImportedTable) -> None:
    cols = header.columns
    head_keys = {fold(lbl) for lbl in header.labels if lbl}
    if header.start >= 0:
        for r in grid.rows[header.start : header.start + header.depth]:
            head_keys.update(fold(" ".join(c.lines)) for c in r if c.lines)
    joined = _join_printed if grid.printed else (lambda lines: clean(" ".join(lines)))

    def text(row: list[Cell], role: str, origin_only: bool = True) -> list[str]:
        c = cols.get(role)
        if c is None or c >= len(row):
            return []
        cell = row[c]
        return cell.lines if (cell.origin or not origin_only) else []

    first = header.start + header.depth
    body_seen = False
    for i, row in enumerate(grid.rows[first:], start=first + 1):
        values = [" ".join(c.lines) if c.origin else "" for c in row]
        if not any(values):
            continue
        keys = {fold(v) for v in values if v}
        known = sum(k in head_keys for k in keys)
        if grid.scanned:
            known = max(known, sum(classify_read(v) is not None for v in values if v))
        if (keys and keys <= head_keys | {""}) or (grid.printed and known >= 3 and known * 3 >= len(keys) * 2):
            out.skipped.append(f"{grid.where}, dòng {i}: dòng tiêu đề lặp lại")
            continue
        if all(re.fullmatch(r"\(?\d{1,2}\)?", v) for v in values if v):
            continue  # the (1) (2) (3) column-number row
        stt = clean(" ".join(text(row, STT))).rstrip(".").strip()
        if grid.printed and stt:  # specks a scan adds around the number: "3 | |"
            stt = next((w.strip(".,:;|") for w in stt.split() if any(ch.isalnum() for ch in w)), "")
        if (
            grid.printed
            and not body_seen
            and not stt
            and state.get("last")
            and state["last"][0] != grid.page
            and not (text(row, LEAD) and text(row, DEADLINE))
        ):
            _continue_row(row, cols, state, out, directory, grid)  # the rest of a row the page broke
            body_seen = True
            continue
        body_seen = True
        content_lines = text(row, CONTENT)
        content = joined(content_lines)
        lead_lines, coop_lines = text(row, LEAD), text(row, COOP)
        deadline = clean(" ".join(text(row, DEADLINE)))
        if not content and (m := _ROMAN_TITLE.match(stt)):
            stt, content = m.group(1), clean(m.group(2))
        if not stt and (m := _ROMAN_TITLE.match(content)) and _is_roman(m.group(1)):
            stt, content = m.group(1), clean(m.group(2))
        if grid.scanned:
            stt = _settle_scanned_number(
                stt, bool(lead_lines or deadline), content, state, out, f"{grid.where}, dòng {i}"
            )
        if _is_roman(stt) or re.fullmatch(r"[A-Z]", stt):
            state["field"] = content
            state["last"] = None
            state["number"] = 0
            state["group"] = _roman_value(stt)
            if not lead_lines and not deadline:
                continue
        elif stt.isdigit():
            state["number"] = int(stt)
        if not content:
            if any(values):
                out.skipped.append(f"{grid.where}, dòng {i}: không có nội dung công việc, bỏ qua")
            continue
        raw = {role: list(text(row, role)) for role in (CONTENT, LEAD, COOP, DEADLINE, PRODUCT, NOTE)}
        out.tasks.append(
            Task(
                stt=stt,
                field=clean(" ".join(text(row, FIELD))) or state.get("field", ""),
                content=content,
                lead=join_unit_lines(lead_lines, directory),
                coop=join_unit_lines(coop_lines, directory),
                deadline=deadline,
                product=_join(text(row, PRODUCT)),
                note=_join(text(row, NOTE)),
            )
        )
        out.origins.append(
            Origin(
                f"{grid.where}, dòng {i}", grid.page, clean(" ".join(lead_lines)), clean(" ".join(coop_lines)), deadline
            )
        )
        state["last"] = (grid.page, raw, len(out.tasks) - 1)


def _roman_value(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    digits = [values.get(c, 0) for c in numeral.upper()]
    return sum(-d if d < n else d for d, n in zip(digits, [*digits[1:], 0], strict=True))


def _settle_scanned_number(stt: str, assigned: bool, content: str, state: dict, out: ImportedTable, where: str) -> str:
    """The Số TT of a scanned row, with OCR's confusions undone: a group row's numeral ("l" for
    I); a task row's number read as letters or with specks ("4+", "S" for 5, "II" for 1), given
    the next number in sequence with a warning."""
    if not content:
        return stt
    if not assigned:  # a group row (no lead, no deadline): its roman numeral
        fixed = stt.translate(str.maketrans("l|1", "III"))
        return fixed if _is_roman(fixed) else stt
    if re.fullmatch(r"\d{1,3}", stt):
        return stt
    if _is_roman(stt) and _roman_value(stt) == state.get("group", 0) + 1:
        return stt  # the next group, with its own lead ("IV | … | Các sở, ban, ngành | …")
    expected = str(state.get("number", 0) + 1)
    if re.sub(r"\D", "", stt) != expected:
        out.warnings.append(f"{where}: số TT đọc là '{stt}', hiểu là '{expected}'.")
    return expected


def _continue_row(
    row: list[Cell], cols: dict[str, int], state: dict, out: ImportedTable, directory, grid: Grid
) -> None:
    """Append the cells of a row's part on a new page to the task read from its first part."""
    _page, raw, index = state["last"]
    for role in raw:
        c = cols.get(role)
        if c is not None and c < len(row) and row[c].origin:
            raw[role].extend(row[c].lines)
    t = out.tasks[index]
    t.content = _join_printed(raw[CONTENT])
    t.lead, t.coop = join_unit_lines(raw[LEAD], directory), join_unit_lines(raw[COOP], directory)
    t.deadline = clean(" ".join(raw[DEADLINE]))
    t.product, t.note = _join(raw[PRODUCT]), _join(raw[NOTE])
    o = out.origins[index]
    o.lead, o.coop, o.deadline = clean(" ".join(raw[LEAD])), clean(" ".join(raw[COOP])), t.deadline
    o.where += f" (tiếp sang trang {grid.page})"
    state["last"] = (grid.page, raw, index)


Progress = Callable[[int, int], None]  # (pages done, pages in all) while a scan is read


def _pdf_grids(content) -> tuple[list[Grid], list[str]]:
    grids, paragraphs = [], []
    for page in content.pages:
        for n, rows in enumerate(page.tables, start=1):
            cells = [[Cell(lines, origin) for lines, origin in row] for row in rows]
            grids.append(Grid(cells, f"trang {page.number}, bảng {n}", page.number, printed=True))
        paragraphs.extend(page.lines)
    return grids, paragraphs


class _ReadByOcr(Exception):
    """A PDF's text layer holds no task table, but its pages are images: read them by OCR."""


def read_source(path: Path, directory: Directory | None = None, progress: Progress | None = None) -> ImportedTable:
    """Read the task table of a .docx, .xlsx, PDF, scan or text file; raise SourceError when
    there is none. `progress(done, total)` is called after each page a scan's OCR reads.

    A PDF whose text layer holds neither a table nor a "Tổ chức thực hiện" section but whose
    pages are images (a scan the document system ran its own OCR on) is read again by OCR."""
    path = Path(path)
    kind = sniff(path)
    try:
        return _read_source(path, kind, directory, progress)
    except _ReadByOcr:
        return _read_source(path, "scan", directory, progress)


def _read_source(path: Path, kind: str, directory: Directory | None, progress: Progress | None) -> ImportedTable:
    paragraphs: list[str] = []
    legacy_fonts: set[str] = set()
    grids: list[Grid] = []
    if kind in ("docx", "xlsx"):
        check_input(path, Limits.from_env())  # bounded: size, zip parts, dimensions, cell lengths
        if kind == "docx":
            grids, paragraphs, legacy_fonts = docx_grids(path)
        else:
            grids, legacy_fonts = xlsx_grids(path)
    elif kind == "pdf":
        from ccpkh_excel.features.pdf_tables import read_pdf

        content = read_pdf(path)
        if content.has_text and not _ocr_only():
            grids, paragraphs = _pdf_grids(content)
        else:
            kind = "scan"
    elif kind == "text":
        paragraphs = _text_lines(path)
    else:
        kind = "scan"
    if kind == "scan":
        from ccpkh_excel.features.ocr import read_scan

        scan = read_scan(path, progress)
        grids = [
            Grid([[Cell(lines, origin) for lines, origin in row] for row in rows], where, page, True, True)
            for rows, where, page in scan.grids
        ]
        paragraphs = scan.lines
    out = ImportedTable(path, [], kind=kind)
    if kind == "scan":
        pages: dict[int, list[str]] = {}
        for page, word in scan.uncertain:
            pages.setdefault(page, []).append(word)
        out.uncertain = {p: set(ws) for p, ws in pages.items()}
        out.notes.extend(
            f"Trang {p}: {len(ws)} chữ đọc không chắc chắn (ví dụ: {', '.join(ws[:5])}); xem sheet Kiểm tra nhập."
            for p, ws in pages.items()
        )
    if legacy_fonts:
        out.legacy = " và ".join(sorted({"tcvn3": "TCVN3", "vni": "VNI"}[e] for e in legacy_fonts))
    else:
        sample = " ".join(" ".join(c.lines) for g in grids for r in g.rows for c in r if c.origin)
        enc = detect_legacy(sample + " " + " ".join(paragraphs))
        if enc:
            out.legacy = {"tcvn3": "TCVN3", "vni": "VNI"}[enc]
            for g in grids:
                for r in g.rows:
                    for c in r:
                        c.lines = [clean(decode_legacy(x, enc)) for x in c.lines]
            paragraphs = [clean(decode_legacy(p, enc)) for p in paragraphs]
    state: dict = {}
    previous: tuple[_Header, int] | None = None
    wrong: list[tuple[Grid, _Header]] = []
    for g in grids:
        header = _find_header(g)
        if header is not None:
            missing = [r for r in REQUIRED if r not in header.columns]
            if missing:
                wrong.append((g, header))
                previous = None
                continue
            out.tables.append(g.where)
            _parse_grid(g, header, directory, state, out)
            previous = (header, g.width())
        elif previous is not None and g.width() == previous[1] and g.rows:
            cont = _Header(-1, 1, previous[0].columns, previous[0].labels)
            out.tables.append(g.where + " (phần tiếp)")
            _parse_grid(g, cont, directory, state, out)
        else:
            previous = None
    if not out.tables and not wrong:
        from ccpkh_excel.features.prose import read_prose

        found = read_prose(paragraphs, directory)
        if found is not None and found.tasks:
            out.prose = True
            out.tables.append(f"mục {found.section}")
            out.tasks, out.origins, out.skipped = found.tasks, found.origins, found.skipped
    if not out.tables and kind == "pdf" and content.has_images:
        raise _ReadByOcr()
    if not out.tables:
        if wrong:
            g, h = wrong[0]
            missing = ", ".join(f"'{LABELS[r]}'" for r in REQUIRED if r not in h.columns)
            raise SourceError(f"bảng nhiệm vụ ở {g.where} thiếu cột {missing}.", path)
        what = {"docx": "văn bản", "xlsx": "bảng tính", "pdf": "tệp PDF", "scan": "bản quét"}.get(kind, "văn bản")
        raise SourceError(
            f"không tìm thấy bảng danh mục nhiệm vụ trong {what} (cần các cột như 'STT', "
            "'Nội dung công việc', 'Cơ quan chủ trì', 'Thời gian hoàn thành'), cũng không có mục "
            "'Tổ chức thực hiện' phân công từng cơ quan.",
            path,
        )
    if not out.tasks:
        raise SourceError("bảng danh mục nhiệm vụ không có dòng nhiệm vụ nào.", path)
    out.info = plan_info(paragraphs)
    return out


def _ocr_only() -> bool:
    """CCPKH_IMPORT_OCR=1: read a PDF by OCR even when it has a text layer (a bad one)."""
    import os

    return os.environ.get("CCPKH_IMPORT_OCR") == "1"


def _text_lines(path: Path) -> list[str]:
    """The lines of a plain-text file (OCR text pasted and saved): UTF-8, UTF-16 or Windows-1258."""
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1258", errors="replace")
    if "\x00" in text:
        raise SourceError("không phải tệp văn bản (có ký tự nhị phân).", path)
    return clean_lines(text)


def plan_info(paragraphs: list[str]) -> dict[str, object]:
    """Metadata a whole plan states on its first page (only what is found)."""
    info: dict[str, object] = {}
    for i, p in enumerate(paragraphs[:40]):
        if m := re.match(r"^Số\s*:\s*(\d*)\s*/\s*([A-ZĐa-z]+-[A-ZĐ0-9&a-z\-]+)", p):
            info.setdefault("Số ký hiệu", f"{m.group(1)}/{m.group(2)}" if m.group(1) else f"/{m.group(2)}")
        if m := re.match(r"^([^,]{2,40}),\s*ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", p):
            info.setdefault("Địa danh", m.group(1).strip())
            try:
                info.setdefault("Ngày ban hành", date(int(m.group(4)), int(m.group(3)), int(m.group(2))))
            except ValueError:
                pass
        elif m := re.match(r"^([^,]{2,40}),\s*ngày\s+.*năm\s+(\d{4})", p):
            info.setdefault("Địa danh", m.group(1).strip())
        if fold(p) in ("ke hoach", "bao cao") and "Tên loại" not in info and i + 1 < len(paragraphs):
            info["Tên loại"] = p.capitalize() if p.isupper() else p
            info["Trích yếu"] = paragraphs[i + 1]
            if m := re.search(r"năm\s+(\d{4})\s*$", paragraphs[i + 1]):
                info.setdefault("Năm", int(m.group(1)))
    return info


# --- the import command ----------------------------------------------------------------
@dataclass
class ImportResult:
    source: Path
    master: Path
    created: bool
    table: ImportedTable
    update: TaskUpdate
    problems: list[Problem]

    @property
    def warnings(self) -> list[str]:
        """Names guessed, deadlines re-read, cells OCR was unsure of: each with its page."""
        return self.table.warnings

    @property
    def exit_code(self) -> int:
        return 1 if self.problems or self.table.warnings else 0


def _infer_year(tasks: list[Task]) -> int | None:
    years = Counter(int(y) for t in tasks for y in re.findall(r"\b(20\d\d)\b", t.deadline))
    return years.most_common(1)[0][0] if years else None


def import_plan(
    source: Path, master: Master | Path, wait: float = 0.0, progress: Progress | None = None
) -> ImportResult:
    """Import the task table of `source` into `master` (created when missing).

    Nothing is written when the source cannot be read. Existing tasks keep their Mã NV. The
    sheet *Kiểm tra nhập* is rewritten with the tasks as read and how their names resolved.
    """
    source = Path(source)
    with hold(master, wait) as m:
        created = not m.exists
        plan = Plan() if created else m.plan
        directory = plan.directory()
        table = read_source(source, directory, progress)
        settled = settle(table, directory)
        for key, value in table.info.items():
            if key in plan.info and plan.info.get(key) in ("", None):
                plan.info[key] = value
        if plan.year is None and (year := _infer_year(table.tasks)):
            plan.info["Năm"] = year
        incoming = [apply_deadline(t, plan.year)[0] for t in table.tasks]
        update = update_tasks(plan.tasks, incoming)
        plan.tasks = update.tasks
        m.log(
            "Nhập",
            [source.name],
            f"{len(table.tasks)} nhiệm vụ: mới {len(update.added)}, cập nhật {len(update.updated)}, "
            f"không đổi {len(update.unchanged)}"
            + (f"; {len(table.warnings)} điểm cần xem lại" if table.warnings else ""),
        )
        m.save(plan=plan, sheets={CHECK_SHEET: review_rows(table, incoming, settled, directory)})
    touched = set(update.added) | set(update.updated) | set(update.unchanged)
    problems = [p for p in check_plan(plan) if p.task in touched]
    return ImportResult(source, m.path, created, table, update, problems)
