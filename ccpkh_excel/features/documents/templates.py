"""Build the Word templates in word_templates/ from the format rules in `nd30`.

Run `python -m ccpkh_excel.features.documents.templates` after changing a rule; a test checks the shipped
templates are what this builds. Office staff may then edit the .docx files in Word: every tag
is one run, and HUONG_DAN_MAU.md lists them all.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from ccpkh_excel.features.documents import nd30
from ccpkh_excel.features.documents.nd30 import Element

CENTER, JUSTIFY, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT
TEXT_WIDTH_MM = nd30.PAGE_MM[0] - nd30.MARGINS_USE_MM["left"] - nd30.MARGINS_USE_MM["right"]  # 165
LANDSCAPE_WIDTH_MM = nd30.PAGE_MM[1] - nd30.MARGINS_USE_MM["left"] - nd30.MARGINS_USE_MM["right"]  # 252
HEAD_LEFT_MM, HEAD_RIGHT_MM = 62, TEXT_WIDTH_MM - 62
SIGN_LEFT_MM, SIGN_RIGHT_MM = 75, TEXT_WIDTH_MM - 75


# --- small builders ---------------------------------------------------------------------------
def _fonts(rpr) -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), nd30.FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):  # a theme font would win
        rfonts.attrib.pop(qn(attr), None)


def new_document() -> Document:
    doc = Document()
    for name in ("Normal", "Table Grid", "Header"):
        st = doc.styles[name]
        st.font.name = nd30.FONT
        st.font.size = Pt(nd30.NOI_DUNG.use)
        _fonts(st.element.get_or_add_rPr())
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _fonts(rpr)
    pf = doc.styles["Normal"].paragraph_format
    pf.space_before, pf.space_after, pf.line_spacing = Pt(0), Pt(0), 1.0
    sec = doc.sections[0]
    _page(sec, landscape=False)
    return doc


def _page(sec, landscape: bool) -> None:
    w, h = Mm(nd30.PAGE_MM[0]), Mm(nd30.PAGE_MM[1])
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = (h, w) if landscape else (w, h)
    m = nd30.MARGINS_USE_MM
    sec.top_margin, sec.bottom_margin = Mm(m["top"]), Mm(m["bottom"])
    sec.left_margin, sec.right_margin = Mm(m["left"]), Mm(m["right"])
    sec.header_distance = sec.footer_distance = Mm(nd30.HEADER_DISTANCE_MM)


def para(
    container,
    text: str = "",
    el: Element | None = None,
    *,
    size: int | None = None,
    bold=None,
    italic=None,
    align=None,
    first_line: bool = False,
    before: float = 0,
    after: float = 0,
    line: float = 1.0,
    keep_next: bool = False,
):
    """A paragraph with one run (tags must stay in one run), formatted by an ND30 element."""
    p = container.add_paragraph()
    pf = p.paragraph_format
    pf.space_before, pf.space_after, pf.line_spacing = Pt(before), Pt(after), line
    if first_line:
        pf.first_line_indent = Cm(nd30.FIRST_LINE_USE_CM)
    if align is not None:
        p.alignment = align
    if keep_next:
        pf.keep_with_next = True
    if text:
        run(p, text, el, size=size, bold=bold, italic=italic)
    return p


def run(p, text: str, el: Element | None = None, *, size=None, bold=None, italic=None):
    r = p.add_run(text)
    r.font.name = nd30.FONT
    _fonts(r._r.get_or_add_rPr())
    r.font.size = Pt(size or (el.use if el else nd30.NOI_DUNG.use))
    b = bold if bold is not None else (el.bold if el else None)
    i = italic if italic is not None else (el.italic if el else None)
    r.font.bold = bool(b)
    r.font.italic = bool(i)
    return r


def body(container, text: str, el: Element = nd30.NOI_DUNG, **kw):
    """A body paragraph: justified, first-line indent, ≥ 6 pt before, line spacing within range."""
    kw.setdefault("before", nd30.SPACING_USE_PT)
    return para(container, text, el, align=JUSTIFY, first_line=True, line=nd30.LINE_SPACING_USE, **kw)


def tag(container, text: str):
    """A paragraph holding only a {%p … %} tag (docxtpl removes it)."""
    return para(container, text)


def rule(container, width_mm: float, box_mm: float):
    """A solid line under the previous text, `width_mm` long, centred in a box `box_mm` wide."""
    p = container.add_paragraph()
    pf = p.paragraph_format
    side = max((box_mm - width_mm) / 2, 0)
    pf.left_indent, pf.right_indent = Mm(side), Mm(side)
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing = Pt(2)
    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.append(bdr)
    return p


def _no_borders(table) -> None:
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "nil")
        borders.append(e)
    tblpr.append(borders)


def _widths(table, widths_mm: list[float]) -> None:
    """Column widths in both places readers look: the grid (LibreOffice) and each cell (Word)."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=False):
        col.set(qn("w:w"), str(int(Mm(w).twips)))
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for row in table.rows:
        for cell, w in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(w)


def _first(cell):
    """The cell's first paragraph, emptied, to write into (cells start with one)."""
    return cell.paragraphs[0]


def _cell_para(cell, text: str, el=None, first: bool = False, **kw):
    if first:
        p = _first(cell)
        pf = p.paragraph_format
        pf.space_before, pf.space_after = Pt(kw.pop("before", 0)), Pt(kw.pop("after", 0))
        pf.line_spacing = kw.pop("line", 1.0)
        if "align" in kw:
            p.alignment = kw.pop("align")
        if text:
            run(p, text, el, **kw)
        return p
    return para(cell, text, el, **kw)


# the table body's paragraph styles: (name the clerk sees in Word, style id), by alignment
TABLE_STYLES = {CENTER: ("Bảng – chữ giữa", "BangChuGiua"), LEFT: ("Bảng – chữ trái", "BangChuTrai")}


def table_style(doc, align):
    """The paragraph style of a table's body cells (Times New Roman, `nd30.TABLE_TEXT` pt, not
    bold or italic, no spacing, single line), added to the document the first time.

    The rows a table repeats for every unit or task reference it instead of repeating the
    formatting in each cell: a province's ranking table has thousands of rows. The style id is
    ASCII (Word, LibreOffice and python-docx all take it), the name Vietnamese for the clerk."""
    name, style_id = TABLE_STYLES[align]
    found = next((s for s in doc.styles if s.type == WD_STYLE_TYPE.PARAGRAPH and s.style_id == style_id), None)
    if found is not None:
        return found
    st = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    st.style_id = style_id
    st.base_style = doc.styles["Normal"]
    st.next_paragraph_style = st
    st.quick_style = True
    font = st.font
    font.name = nd30.FONT
    font.size = Pt(nd30.TABLE_TEXT)
    font.bold = font.italic = False
    _fonts(st.element.get_or_add_rPr())
    pf = st.paragraph_format
    pf.space_before, pf.space_after, pf.line_spacing = Pt(0), Pt(0), 1.0
    pf.alignment = align
    return st


def _styled_cell(cell, text: str, style) -> None:
    """The cell's first paragraph in `style`, one run with no formatting of its own."""
    p = _first(cell)
    p.style = style
    p.add_run(text)


def page_numbers(sec) -> None:
    """Arabic page numbers centred in the top margin; none on the section's first page."""
    sec.different_first_page_header_footer = True
    p = sec.header.paragraphs[0]
    p.alignment = CENTER
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    _fonts(rpr)
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(nd30.SO_TRANG.use * 2))
    rpr.append(sz)
    r.append(rpr)
    t = OxmlElement("w:t")
    t.text = "2"
    r.append(t)
    fld.append(r)
    p._p.append(fld)


def restart_numbering(sec) -> None:
    pg = OxmlElement("w:pgNumType")
    pg.set(qn("w:start"), "1")
    sec._sectPr.append(pg)
    sec.different_first_page_header_footer = True


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    for name in ("w:cantSplit", "w:tblHeader"):
        trpr.append(OxmlElement(name))


def _cant_split(row) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


# --- shared blocks --------------------------------------------------------------------------------
def header_block(doc, number_line: str = "Số: {{ so_ky_hieu }}", vv: bool = False) -> None:
    """Cơ quan chủ quản / ban hành / số (left), Quốc hiệu / Tiêu ngữ / địa danh-ngày (right)."""
    t = doc.add_table(rows=2, cols=2)
    _no_borders(t)
    _widths(t, [HEAD_LEFT_MM, HEAD_RIGHT_MM])
    left, right = t.cell(0, 0), t.cell(0, 1)
    _cell_para(left, "{%p if co_quan_chu_quan %}", first=True)
    para(left, "{{ co_quan_chu_quan|upper }}", nd30.CHU_QUAN, align=CENTER)
    para(left, "{%p endif %}")
    para(left, "{{ co_quan_ban_hanh|upper }}", nd30.BAN_HANH, align=CENTER)
    rule(left, 22, HEAD_LEFT_MM)
    _cell_para(right, nd30.QUOC_HIEU_TEXT, nd30.QUOC_HIEU, first=True, align=CENTER)
    para(right, nd30.TIEU_NGU_TEXT, nd30.TIEU_NGU, align=CENTER)
    rule(right, 62, HEAD_RIGHT_MM)
    _cell_para(t.cell(1, 0), number_line, nd30.SO_KY_HIEU, first=True, align=CENTER, before=6)
    if vv:
        para(t.cell(1, 0), "V/v {{ trich_yeu }}", nd30.V_V, align=CENTER, before=6)
    _cell_para(t.cell(1, 1), "{{ dia_danh_ngay }}", nd30.DIA_DANH, first=True, align=CENTER, before=6)


def title_block(doc, kind: str) -> None:
    para(doc, kind, nd30.TEN_LOAI, align=CENTER, before=18)
    para(doc, "{{ trich_yeu }}", nd30.TRICH_YEU, align=CENTER)
    rule(doc, 45, TEXT_WIDTH_MM)
    para(doc, "", before=6)


def bullets(doc, var: str, item: str = "item") -> None:
    """One body paragraph per item; the context gives each its marker ("- ", "a) ") and its
    closing punctuation."""
    tag(doc, f"{{%p for {item} in {var} %}}")
    body(doc, f"{{{{ {item} }}}}")
    tag(doc, "{%p endfor %}")


def paragraphs(doc, var: str) -> None:
    """The paragraphs of a part: {text, mark}; a marked one (a sentence the clerk must write)
    is italic and highlighted, so nobody signs it unnoticed."""
    tag(doc, f"{{%p for x in {var} %}}")
    tag(doc, "{%p if x.mark %}")
    p = body(doc, "{{ x.text }}", italic=True)
    hl = OxmlElement("w:highlight")
    hl.set(qn("w:val"), "yellow")
    p.runs[0]._r.get_or_add_rPr().append(hl)
    tag(doc, "{%p else %}")
    body(doc, "{{ x.text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")


def closing(doc, text: str) -> None:
    """The closing paragraph, whole, kept on the page of the signature block that follows it."""
    body(doc, text, keep_next=True).paragraph_format.keep_together = True


def signature_block(doc) -> None:
    t = doc.add_table(rows=1, cols=2)
    _no_borders(t)
    _widths(t, [SIGN_LEFT_MM, SIGN_RIGHT_MM])
    left, right = t.cell(0, 0), t.cell(0, 1)
    _cant_split(t.rows[0])
    # "Nơi nhận:" and the first line of the signature block start level (both with no space
    # before: the space above the table is the closing paragraph's)
    _cell_para(left, "Nơi nhận:", nd30.NOI_NHAN, first=True)
    para(left, "{%p for n in noi_nhan %}")
    para(left, "- {{ n }}{{ '.' if loop.last else ';' }}", nd30.NOI_NHAN_LIST)
    para(left, "{%p endfor %}")
    _cell_para(right, "{%p if quyen_han %}", first=True)
    para(right, "{{ quyen_han|upper }}", nd30.QUYEN_HAN, align=CENTER, keep_next=True)
    para(right, "{%p endif %}")
    para(right, "{{ chuc_vu|upper }}", nd30.QUYEN_HAN, align=CENTER, keep_next=True)
    for _ in range(4):
        para(right, "")
    para(right, "{{ nguoi_ky }}", nd30.HO_TEN, align=CENTER)


def appendix_section(doc, title_var: str, kem_theo_var: str = "kem_theo", label: str = "Phụ lục"):
    """A new landscape section for a phụ lục: numbered from 1, no number on its first page."""
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(sec, landscape=True)
    restart_numbering(sec)
    para(doc, label, nd30.PHU_LUC, align=CENTER)
    para(doc, f"{{{{ {title_var}|upper }}}}", nd30.PHU_LUC_TITLE, align=CENTER)
    para(doc, f"({{{{ {kem_theo_var} }}}})", nd30.KEM_THEO, align=CENTER)
    rule(doc, 50, LANDSCAPE_WIDTH_MM)
    para(doc, "", before=6)
    return sec


def task_table(doc, columns: list[tuple[str, float, str]], group_var: str = "r") -> None:
    """A phụ lục table: repeated header, rows never split, roman group rows merged across."""
    n = len(columns)
    t = doc.add_table(rows=7, cols=n)
    t.style = doc.styles["Table Grid"]
    _widths(t, [w for _, w, _ in columns])
    head = t.rows[0]
    _repeat_header(head)
    for i, (label, _, _) in enumerate(columns):
        _cell_para(head.cells[i], label, None, first=True, size=nd30.TABLE_TEXT, bold=True, align=CENTER)
    tags = {
        1: f"{{%tr for {group_var} in rows %}}",
        2: f"{{%tr if {group_var}.group %}}",
        4: "{%tr else %}",
        6: "{%tr endif %}",
    }
    for r, text in tags.items():
        _cell_para(t.cell(r, 0), text, first=True, size=nd30.TABLE_TEXT)
    group = t.rows[3]
    _cant_split(group)
    _cell_para(
        group.cells[0], f"{{{{ {group_var}.stt }}}}", None, first=True, size=nd30.TABLE_TEXT, bold=True, align=CENTER
    )
    merged = t.cell(3, 1).merge(t.cell(3, n - 1))
    _cell_para(merged, f"{{{{ {group_var}.title }}}}", None, first=True, size=nd30.TABLE_TEXT, bold=True, align=LEFT)
    row = t.rows[5]
    _cant_split(row)
    for i, (_, _, field) in enumerate(columns):
        align = CENTER if field in ("stt", "deadline") else LEFT
        _styled_cell(row.cells[i], f"{{{{ {group_var}.{field} }}}}", table_style(doc, align))
    # the closing tag row
    t.add_row()
    _cell_para(t.cell(7, 0), "{%tr endfor %}", first=True, size=nd30.TABLE_TEXT)


# --- the templates ------------------------------------------------------------------------------
PLAN_COLUMNS = [
    ("STT", 12, "stt"),
    ("Nội dung công việc", 102, "content"),
    ("Cơ quan chủ trì", 42, "lead"),
    ("Cơ quan phối hợp", 60, "coop"),
    ("Thời gian hoàn thành", 36, "deadline"),
]
PLAN_COLUMNS_PRODUCT = [
    ("STT", 12, "stt"),
    ("Nội dung công việc", 78, "content"),
    ("Cơ quan chủ trì", 36, "lead"),
    ("Cơ quan phối hợp", 42, "coop"),
    ("Thời gian hoàn thành", 30, "deadline"),
    ("Sản phẩm", 54, "product"),
]


def opening(kind: str | None = None, vv: bool = False) -> Document:
    """A new document with page numbers, the header block and, for named types, the title."""
    doc = new_document()
    page_numbers(doc.sections[0])
    header_block(doc, vv=vv)
    if kind:
        title_block(doc, kind)
    return doc


def plan_table(doc) -> None:
    """The DANH MỤC table, with a Sản phẩm column when the plan has products."""
    tag(doc, "{%p if co_san_pham %}")
    task_table(doc, PLAN_COLUMNS_PRODUCT)
    tag(doc, "{%p else %}")
    task_table(doc, PLAN_COLUMNS)
    tag(doc, "{%p endif %}")
    para(doc, "")


def ke_hoach() -> Document:
    doc = opening("KẾ HOẠCH")
    tag(doc, "{%p for cc in can_cu %}")
    body(doc, "{{ cc }}{{ '.' if loop.last and not loi_dan else ';' }}", nd30.CAN_CU)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if loi_dan %}")
    body(doc, "{{ loi_dan }}")
    tag(doc, "{%p endif %}")
    body(doc, "I. MỤC ĐÍCH, YÊU CẦU", bold=True, keep_next=True)
    body(doc, "1. Mục đích", bold=True, keep_next=True)
    bullets(doc, "muc_dich")
    body(doc, "2. Yêu cầu", bold=True, keep_next=True)
    bullets(doc, "yeu_cau")
    body(doc, "II. NỘI DUNG KẾ HOẠCH", bold=True, keep_next=True)
    tag(doc, "{%p for area in noi_dung %}")
    body(doc, "{{ area.number }}. {{ area.title }}", bold=True, keep_next=True)
    bullets(doc, "area.bullets")
    tag(doc, "{%p endfor %}")
    body(doc, "({{ dan_chieu_phu_luc }})", italic=True)
    body(doc, "III. TỔ CHỨC THỰC HIỆN", bold=True, keep_next=True)
    tag(doc, "{%p for part in to_chuc %}")
    body(doc, "{{ part.number }}. {{ part.heading }}", bold=True, keep_next=True)
    bullets(doc, "part.bullets")
    tag(doc, "{%p endfor %}")
    closing(doc, "{{ doan_ket }}")
    para(doc, "", keep_next=True)
    signature_block(doc)
    appendix_section(doc, "phu_luc_ten")
    plan_table(doc)
    return doc


REPORT_COLUMNS = [
    ("STT", 11, "stt"),
    ("Mã NV", 17, "code"),
    ("Nội dung công việc", 70, "content"),
    ("Cơ quan chủ trì", 36, "lead"),
    ("Thời gian hoàn thành", 26, "deadline"),
    ("Tình hình", 30, "status"),
    ("Kết quả thực hiện", 62, "result"),
]
COUNT_COLUMNS = [
    ("STT", 12, "stt"),
    ("{label}", 80, "label"),
    ("Số nhiệm vụ", 22, "tasks"),
    ("Hoàn thành đúng hạn", 28, "on_time"),
    ("Hoàn thành quá hạn", 28, "late"),
    ("Đang thực hiện trong hạn", 28, "in_progress"),
    ("Quá hạn (chưa hoàn thành)", 28, "overdue"),
    ("Tỷ lệ hoàn thành (%)", 26, "pct"),
]
RANK_COLUMNS = [
    ("Hạng", 16, "rank"),
    ("Đơn vị chủ trì", 66, "name"),
    ("Số nhiệm vụ được giao", 24, "tasks"),
    ("Hoàn thành đúng hạn", 24, "on_time"),
    ("Hoàn thành quá hạn", 24, "late"),
    ("Đang thực hiện trong hạn", 24, "in_progress"),
    ("Quá hạn (chưa hoàn thành)", 26, "overdue"),
    ("Tỷ lệ hoàn thành (%)", 24, "pct_done"),
    ("Tỷ lệ đúng hạn (%)", 24, "pct"),
]


def simple_table(doc, columns: list[tuple[str, float, str]], var: str) -> None:
    """A phụ lục table without group rows: repeated header, rows never split."""
    n = len(columns)
    t = doc.add_table(rows=4, cols=n)
    t.style = doc.styles["Table Grid"]
    _widths(t, [w for _, w, _ in columns])
    _repeat_header(t.rows[0])
    for i, (label, _, _) in enumerate(columns):
        _cell_para(t.rows[0].cells[i], label, None, first=True, size=nd30.TABLE_TEXT, bold=True, align=CENTER)
    _cell_para(t.cell(1, 0), f"{{%tr for r in {var} %}}", first=True, size=nd30.TABLE_TEXT)
    _cant_split(t.rows[2])
    for i, (_, _, field) in enumerate(columns):
        align = LEFT if field in ("label", "name") else CENTER
        _styled_cell(t.rows[2].cells[i], f"{{{{ r.{field} }}}}", table_style(doc, align))
    _cell_para(t.cell(3, 0), "{%tr endfor %}", first=True, size=nd30.TABLE_TEXT)


def _heading(doc, text: str, italic: bool = False) -> None:
    body(doc, text, bold=True, italic=italic, keep_next=True)


def bao_cao() -> Document:
    """The period BÁO CÁO in the outline of the Ministry of Home Affairs (domain/outline.py)."""
    doc = opening("BÁO CÁO")
    body(doc, "{{ mo_dau }}")
    _heading(doc, "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH")
    tag(doc, "{%p for part in chi_dao %}")
    _heading(doc, "{{ part.title }}")
    paragraphs(doc, "part.paras")
    tag(doc, "{%p endfor %}")
    _heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH")
    body(doc, "{{ tong_cau }}")
    tag(doc, "{%p if bieu_do %}")
    para(doc, "{{ bieu_do }}", align=CENTER, before=6, keep_next=True)
    para(doc, "{{ bieu_do_chu }}", nd30.NOI_DUNG, align=CENTER, italic=True, bold=True, before=3, after=6, size=13)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for lv in linh_vuc %}")
    _heading(doc, "{{ lv.title }}")
    body(doc, "{{ lv.so_lieu }}")
    tag(doc, "{%p if lv.ket_qua %}")
    body(doc, "Kết quả các nhiệm vụ đã hoàn thành:", keep_next=True)
    bullets(doc, "lv.ket_qua", "kq")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if lv.cham %}")
    body(doc, "Nhiệm vụ hoàn thành quá hạn hoặc quá hạn chưa hoàn thành:", keep_next=True)
    bullets(doc, "lv.cham", "x")
    tag(doc, "{%p endif %}")
    bullets(doc, "lv.them", "x")
    tag(doc, "{%p endfor %}")
    _heading(doc, "III. ĐÁNH GIÁ CHUNG")
    tag(doc, "{%p for part in danh_gia %}")
    _heading(doc, "{{ part.title }}")
    paragraphs(doc, "part.paras")
    tag(doc, "{%p if part.lines %}")
    body(doc, "{{ part.lines_head }}", keep_next=True)
    bullets(doc, "part.lines", "x")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    _heading(doc, "{{ phuong_huong.title }}")
    body(doc, "{{ phuong_huong.mo_dau }}")
    bullets(doc, "phuong_huong.den_han", "x")
    paragraphs(doc, "phuong_huong.paras")
    _heading(doc, "V. ĐỀ XUẤT, KIẾN NGHỊ")
    paragraphs(doc, "de_xuat")
    tag(doc, "{%p if de_xuat_don_vi %}")
    body(doc, "Đề xuất, kiến nghị của các đơn vị:", keep_next=True)
    bullets(doc, "de_xuat_don_vi", "x")
    tag(doc, "{%p endif %}")
    body(doc, "(Có Phụ lục I và Phụ lục II kèm theo)", italic=True)
    closing(doc, "{{ doan_ket }}")
    para(doc, "", keep_next=True)
    signature_block(doc)
    appendix_section(doc, "phu_luc_ten", label="Phụ lục I")
    task_table(doc, REPORT_COLUMNS)
    para(doc, "")
    appendix_section(doc, "phu_luc_2_ten", label="Phụ lục II")
    body(doc, "1. Theo lĩnh vực", bold=True, keep_next=True)
    simple_table(doc, [(h.format(label="Lĩnh vực"), w, f) for h, w, f in COUNT_COLUMNS], "bang_linh_vuc")
    body(doc, "2. Theo đơn vị chủ trì, xếp hạng theo tỷ lệ hoàn thành đúng hạn", bold=True, keep_next=True)
    simple_table(doc, RANK_COLUMNS, "xep_hang")
    para(doc, "")
    return doc


def cong_van_don_doc() -> Document:
    """The công văn đôn đốc: to each unit behind, its tasks not reported or overdue."""
    doc = opening(vv=True)
    para(doc, "", before=6)
    tag(doc, "{%p if kinh_gui|length == 1 %}")
    para(doc, "Kính gửi: {{ kinh_gui[0] }}.", nd30.KINH_GUI, align=LEFT, before=6).paragraph_format.left_indent = Mm(35)
    tag(doc, "{%p else %}")
    para(doc, "Kính gửi:", nd30.KINH_GUI, align=LEFT, before=6).paragraph_format.left_indent = Mm(35)
    tag(doc, "{%p for k in kinh_gui %}")
    para(doc, "- {{ k }}{{ '.' if loop.last else ';' }}", nd30.KINH_GUI, align=LEFT).paragraph_format.left_indent = Mm(
        57
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(doc, "", before=6)
    body(
        doc,
        "Thực hiện {{ ke_hoach }}, đến ngày {{ ngay_tinh }}, {{ 'đơn vị' if mot_don_vi else 'các cơ quan, đơn vị' }} "
        "còn các nhiệm vụ cải cách hành chính {{ ky }} chưa báo cáo hoặc đã quá hạn nhưng chưa hoàn thành như sau:",
    )
    tag(doc, "{%p for d in don_vi %}")
    tag(doc, "{%p if not mot_don_vi %}")
    body(doc, "{{ loop.index }}. {{ d.name }}", bold=True, keep_next=True)
    tag(doc, "{%p endif %}")
    bullets(doc, "d.tasks", "x")
    tag(doc, "{%p endfor %}")
    closing(
        doc,
        "Đề nghị Thủ trưởng {{ 'đơn vị' if mot_don_vi else 'các cơ quan, đơn vị' }} khẩn trương chỉ đạo thực hiện "
        "các nhiệm vụ nêu trên, gửi báo cáo kết quả về {{ co_quan_ban_hanh }} trước ngày {{ han_moi }} để tổng hợp, "
        "báo cáo theo quy định./.",
    )
    para(doc, "", keep_next=True)
    signature_block(doc)
    return doc


def phu_luc() -> Document:
    """The DANH MỤC on its own, for a phụ lục sent as a separate file."""
    doc = new_document()
    sec = doc.sections[0]
    _page(sec, landscape=True)
    page_numbers(sec)
    para(doc, "Phụ lục", nd30.PHU_LUC, align=CENTER)
    para(doc, "{{ phu_luc_ten|upper }}", nd30.PHU_LUC_TITLE, align=CENTER)
    para(doc, "({{ kem_theo }})", nd30.KEM_THEO, align=CENTER)
    rule(doc, 50, LANDSCAPE_WIDTH_MM)
    para(doc, "", before=6)
    plan_table(doc)
    return doc


TEMPLATES = {
    "ke_hoach.docx": ke_hoach,
    "phu_luc.docx": phu_luc,
    "bao_cao.docx": bao_cao,
    "cong_van_don_doc.docx": cong_van_don_doc,
}


def build(folder: Path) -> list[Path]:
    out = []
    for name, make in TEMPLATES.items():
        doc = make()
        doc.core_properties.author = "ccpkh-excel"
        doc.core_properties.title = name
        path = folder / name
        doc.save(path)
        out.append(path)
    return out


if __name__ == "__main__":
    from ccpkh_excel.resources import templates_dir

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else templates_dir()
    for p in build(target):
        print(p)
