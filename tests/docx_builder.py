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


# --- a programme without a DANH MỤC: duties assigned in prose -------------------------------------
# (number, unit as the programme writes it, [points]); the expected lead code and cooperators are
# in PROGRAMME_EXPECTED, one row per point (one per unit without points).
PROGRAMME_UNITS = [
    (
        "1",
        "Các sở, ban, ngành, UBND cấp xã",
        [],
        "Căn cứ Chương trình này, xây dựng kế hoạch cải cách hành chính hằng năm của cơ quan, đơn vị, "
        "địa phương; bố trí kinh phí và báo cáo định kỳ về Sở Nội vụ.",
    ),
    (
        "2",
        "Sở Nội vụ",
        [
            "Là cơ quan thường trực, chủ trì theo dõi, hướng dẫn, đôn đốc, kiểm tra việc thực hiện "
            "Chương trình; tổng hợp, báo cáo UBND tỉnh theo quy định.",
            "Chủ trì, tham mưu UBND tỉnh xác định Chỉ số cải cách hành chính của các sở, ban, ngành, "
            "UBND cấp xã; phối hợp với Sở Tư pháp, Văn phòng UBND tỉnh tổ chức điều tra xã hội học.",
            "Thường xuyên tuyên truyền về cải cách hành chính trên Trang thông tin điện tử của Sở.",
        ],
        "",
    ),
    (
        "3",
        "Sở Tài chính",
        [
            "Chủ trì, tham mưu bố trí kinh phí thực hiện Chương trình theo phân cấp ngân sách.",
            "Phối hợp với Sở Nội vụ hướng dẫn cơ chế tự chủ tài chính của đơn vị sự nghiệp công lập.",
        ],
        "",
    ),
    (
        "4",
        "Văn phòng Ủy ban nhân dân tỉnh",
        [
            "Chủ trì cải cách thủ tục hành chính; kiểm soát thủ tục hành chính; phối hợp với Sở Khoa "
            "học và Công nghệ xây dựng chính quyền số.",
            "Thường xuyên theo dõi, đôn đốc việc giải quyết thủ tục hành chính tại Trung tâm Phục vụ "
            "hành chính công tỉnh.",
        ],
        "",
    ),
    ("5", "Sở Tư pháp", ["Chủ trì cải cách thể chế; kiểm tra, rà soát văn bản quy phạm pháp luật."], ""),
    (
        "6",
        "Sở Khoa học và Công nghệ",
        [
            "Chủ trì xây dựng, phát triển chính quyền điện tử, chính quyền số.",
            "Phối hợp với Văn phòng UBND tỉnh vận hành Hệ thống thông tin giải quyết thủ tục hành chính.",
        ],
        "",
    ),
    ("7", "Sở Y tế", ["Chủ trì đổi mới cơ chế hoạt động của các đơn vị sự nghiệp y tế công lập."], ""),
]
# one row per task: (STT, lead code(s), cooperator codes, deadline)
_SBN = {"SNV", "STP", "VPUBND", "STC", "SKHCN", "SVHTTDL", "SXD", "SNNMT", "SYT", "SGDDT", "BQLKCN"}
_XA = {"PPDP", "PGS", "PPY", "PBK", "XDT"}
PROGRAMME_EXPECTED = [
    ("1", _SBN | _XA, set(), "Năm 2030"),
    ("2.a", {"SNV"}, set(), "Năm 2030"),
    ("2.b", {"SNV"}, {"STP", "VPUBND"}, "Năm 2030"),
    ("2.c", {"SNV"}, set(), "Thường xuyên"),
    ("3.a", {"STC"}, set(), "Năm 2030"),
    ("3.b", {"STC"}, {"SNV"}, "Năm 2030"),
    ("4.a", {"VPUBND"}, {"SKHCN"}, "Năm 2030"),
    ("4.b", {"VPUBND"}, set(), "Thường xuyên"),
    ("5.a", {"STP"}, set(), "Năm 2030"),
    ("6.a", {"SKHCN"}, set(), "Năm 2030"),
    ("6.b", {"SKHCN"}, {"VPUBND"}, "Năm 2030"),
    ("7.a", {"SYT"}, set(), "Năm 2030"),
]


def programme_lines() -> list[str]:
    """The decision on the CCHC programme 2026–2030 and the programme, as paragraphs: Căn cứ,
    Điều 1–3, Nơi nhận, then the programme whose section VI assigns duties unit by unit."""
    lines = [
        "ỦY BAN NHÂN DÂN",
        "TỈNH THÁI NGUYÊN",
        "Số: 45/QĐ-UBND",
        "Thái Nguyên, ngày 15 tháng 01 năm 2026",
        "QUYẾT ĐỊNH",
        "Ban hành Chương trình cải cách hành chính nhà nước tỉnh Thái Nguyên giai đoạn 2026 - 2030",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN",
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025;",
        "Căn cứ Nghị quyết số 76/NQ-CP của Chính phủ; theo đề nghị của Giám đốc Sở Nội vụ.",
        "QUYẾT ĐỊNH:",
        "Điều 1. Ban hành kèm theo Quyết định này Chương trình cải cách hành chính nhà nước tỉnh "
        "Thái Nguyên giai đoạn 2026 - 2030.",
        "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
        "Điều 3. Chánh Văn phòng UBND tỉnh, Giám đốc Sở Nội vụ, Thủ trưởng các sở, ban, ngành chịu "
        "trách nhiệm thi hành Quyết định này.",
        "Nơi nhận:",
        "- Như Điều 3;",
        "- Lưu: VT, NC.",
        "CHƯƠNG TRÌNH",
        "Cải cách hành chính nhà nước tỉnh Thái Nguyên giai đoạn 2026 - 2030",
        "I. MỤC TIÊU",
        "1. Xây dựng nền hành chính dân chủ, chuyên nghiệp, hiện đại.",
        "a) Hoàn thiện thể chế; b) cải cách thủ tục hành chính.",
        "V. KINH PHÍ THỰC HIỆN",
        "Kinh phí thực hiện Chương trình do ngân sách nhà nước bảo đảm.",
        "VI. TỔ CHỨC THỰC HIỆN",
    ]
    for number, unit, points, text in PROGRAMME_UNITS:
        lines.append(f"{number}. {unit}" + (f": {text}" if text else ""))
        for letter, point in zip("abcdđeg", points, strict=False):
            lines.append(f"{letter}) {point}")
    lines += [
        "Trong quá trình thực hiện, nếu có vướng mắc, các cơ quan, đơn vị phản ánh về Sở Nội vụ để tổng hợp.",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    ]
    return lines


def strip_diacritics(text: str) -> str:
    s = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in s if not unicodedata.combining(c))


# Garbling as OCR of a poor copy does it (seen in offices' pasted text).
OCR_GARBLE = [
    ("So Noi vu", "S6 Noi vu"),
    ("So Tai chinh", "S& Tai chinh"),
    ("Van phong Uy ban nhan dan tinh", "Vin phong Uy ban nhan dén tinh"),
    ("7. So Y te", "7.86Y té"),
    ("\nc) ", "\n¢) "),
    ("\nb) ", "\nb} "),
    ("So Khoa hoc va Cong nghe", "Sé Khoa hoc va Céng nghé"),
    ("VI. TO CHUC THUC HIEN", "VI. TO CHUC THUC HIEN"),
    ("2026 - 2030", "2026 - 2O30"),
    ("Thuong xuyen", "Thudng xuyén"),
]


def programme_ocr_text() -> str:
    """The programme's text stripped of diacritics and garbled as OCR does."""
    text = strip_diacritics("\n".join(programme_lines()))
    for a, b in OCR_GARBLE:
        text = text.replace(a, b)
    return text


def programme_docx(path: Path, text: str | None = None) -> Path:
    """The programme as a Word document (one paragraph a line), without any table."""
    doc = Document()
    for line in (text if text is not None else "\n".join(programme_lines())).split("\n"):
        _add_text(doc.add_paragraph(), line, "nfc")
    doc.save(path)
    return path
