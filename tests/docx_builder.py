"""Build plan documents the way offices send them: a portrait body, then the DANH MỤC in a
landscape section; header rows marked to repeat and also pasted again mid-table; line
breaks inside cells (both new paragraphs and manual breaks); merged cells; and the text
in NFC, NFD, TCVN3 (.VnTime/.VnTimeH fonts) or VNI (VNI-Times)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from ccpkh_excel.domain.vntext import unicode_to_tcvn3, unicode_to_vni

ENCODINGS = ("nfc", "nfd", "tcvn3", "vni")


def _runs(text: str, encoding: str) -> list[tuple[str, str | None]]:
    """Text → [(run text, font)] in the given encoding."""
    if encoding == "nfc":
        return [(unicodedata.normalize("NFC", text), "Times New Roman")]
    if encoding == "nfd":
        return [(unicodedata.normalize("NFD", text), "Times New Roman")]
    if encoding == "vni":
        return [(unicode_to_vni(text), "VNI-Times")]
    # TCVN3: a capital with a tone mark has no code; offices switch to .VnTimeH for it.
    runs: list[tuple[str, str | None]] = []
    for ch in unicodedata.normalize("NFC", text):
        code, lowered = unicode_to_tcvn3(ch)
        font = ".VnTimeH" if lowered else ".VnTime"
        if runs and runs[-1][1] == font:
            runs[-1] = (runs[-1][0] + code, font)
        else:
            runs.append((code, font))
    return runs


def _add_text(paragraph, text: str, encoding: str, bold: bool = False) -> None:
    for chunk, font in _runs(text, encoding):
        run = paragraph.add_run(chunk)
        run.bold = bold
        run.font.size = Pt(12)
        if font:
            run.font.name = font
            rpr = run._r.get_or_add_rPr()
            rpr.rFonts.set(qn("w:hAnsi"), font)
            rpr.rFonts.set(qn("w:cs"), font)


def set_cell(cell, text: str, encoding: str, bold: bool = False) -> None:
    """Write text with its line breaks: odd breaks start a paragraph, even ones are <w:br/>."""
    for p in cell.paragraphs[1:]:
        p._p.getparent().remove(p._p)
    para = cell.paragraphs[0]
    for r in list(para.runs):
        r._r.getparent().remove(r._r)
    for i, line in enumerate(text.split("\n")):
        if i:
            if i % 2:
                para = cell.add_paragraph()
            else:
                para.add_run().add_break()
        _add_text(para, line, encoding, bold)


def wrap(text: str, width: int = 60) -> str:
    """Break a long text into lines as a narrow column would, with real line breaks."""
    lines, cur = [], ""
    for word in text.split(" "):
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    lines.append(cur)
    return "\n".join(lines)


def _mark_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    trpr.append(el)
    cant = OxmlElement("w:cantSplit")
    trpr.append(cant)


def add_table(doc, header: list[list[str]], rows: list[tuple], encoding: str, repeat_at=(), merge_groups=False):
    """Add one table: header rows ("<" merges left, "^" merges up), body rows; the header
    rows are pasted again before each body index in `repeat_at`."""
    ncol = len(header[0])
    table = doc.add_table(rows=0, cols=ncol)
    table.style = "Table Grid"

    def put_header(mark: bool) -> None:
        start = len(table.rows)
        for _ in header:
            row = table.add_row()
            if mark:
                _mark_header(row)
        for r, spec in enumerate(header):
            for c, value in enumerate(spec):
                if value not in ("<", "^"):
                    set_cell(table.cell(start + r, c), value, encoding, bold=True)
        for r, spec in enumerate(header):
            for c, value in enumerate(spec):
                if value == "<":
                    table.cell(start + r, c - 1).merge(table.cell(start + r, c))
                elif value == "^":
                    table.cell(start + r - 1, c).merge(table.cell(start + r, c))

    put_header(True)
    for i, values in enumerate(rows):
        if i in repeat_at:
            put_header(False)
        row = table.add_row()
        idx = len(table.rows) - 1
        if len(values) == 2:  # a group row: roman numeral and title
            set_cell(row.cells[0], values[0], encoding, bold=True)
            if merge_groups:
                merged = table.cell(idx, 1).merge(table.cell(idx, ncol - 1))
                set_cell(merged, values[1], encoding, bold=True)
            else:
                set_cell(row.cells[1], values[1], encoding, bold=True)
            continue
        for c, value in enumerate(values):
            text = wrap(value) if c == 1 else value
            set_cell(row.cells[c], text, encoding)
    return table


def new_document(encoding: str, intro: bool = True, title: str = "Cải cách hành chính tỉnh Thái Nguyên năm 2026"):
    doc = Document()
    if intro:
        for text, bold in (
            ("ỦY BAN NHÂN DÂN\nTỈNH THÁI NGUYÊN", True),
            ("Số: 188/KH-UBND", False),
            ("Thái Nguyên, ngày 27 tháng 12 năm 2025", False),
            ("KẾ HOẠCH", True),
            (title, True),
            ("Căn cứ Quyết định số 2347/QĐ-UBND ngày 17/12/2025 của UBND tỉnh Thái Nguyên;", False),
            ("I. MỤC ĐÍCH, YÊU CẦU", True),
            ("Phân công các cơ quan, đơn vị, địa phương thực hiện nhiệm vụ công tác CCHC năm 2026.", False),
        ):
            for line in text.split("\n"):
                _add_text(doc.add_paragraph(), line, encoding, bold)
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    return doc


def seed_000_docx(path: Path, encoding: str = "nfc") -> Path:
    from seeds import HEADER_000, SEED_000

    doc = new_document(encoding)
    for text in (
        "DANH MỤC",
        "Nhiệm vụ trọng tâm thực hiện cải cách hành chính tỉnh Thái Nguyên năm 2026",
        "(Kèm theo Kế hoạch số 188/KH-UBND ngày 27/12/2025 của Chủ tịch UBND tỉnh Thái Nguyên)",
    ):
        _add_text(doc.add_paragraph(), text, encoding, True)
    rows = [row[:5] for row in SEED_000]
    add_table(doc, HEADER_000, rows, encoding, repeat_at=(7, 15))
    doc.save(path)
    return path


def seed_003_docx(path: Path, encoding: str = "nfc") -> Path:
    from seeds import HEADER_003, SEED_003

    doc = new_document(encoding, title="Cải cách hành chính của Sở Khoa học và Công nghệ năm 2026")
    _add_text(doc.add_paragraph(), "DANH MỤC", encoding, True)
    rows = [row[:5] for row in SEED_003]
    add_table(doc, HEADER_003, rows[:5], encoding)
    doc.add_paragraph()
    add_table(doc, HEADER_003, rows[5:], encoding)
    doc.save(path)
    return path


def seed_004_docx(path: Path, encoding: str = "nfc") -> Path:
    from seeds import HEADER_004, TABLES_004

    doc = new_document(
        encoding,
        title="Triển khai thực hiện Nghị quyết số 66/NQ-CP ngày 26/3/2025 của Chính phủ trên địa bàn tỉnh Thái Nguyên năm 2026",
    )
    for text in (
        "Phụ lục",
        "CÁC NHIỆM VỤ TRỌNG TÂM TRIỂN KHAI THỰC HIỆN",
        "(Kèm theo Kế hoạch số: 31 /KH-UBND ngày 30 tháng 01 năm 2026 của Chủ tịch UBND tỉnh Thái Nguyên)",
    ):
        _add_text(doc.add_paragraph(), text, encoding, True)
    for n, rows in enumerate(TABLES_004):
        add_table(doc, HEADER_004, rows, encoding, merge_groups=(n == 0))
        doc.add_paragraph()
    doc.save(path)
    return path
