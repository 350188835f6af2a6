"""The format check resolves fonts as Word does, finds a page number on page 1, measures the
lines of the header — and passes the layouts of the Decree's own samples (Nghị định
30/2020/NĐ-CP, Phụ lục III, Mẫu 1.4 and the decree's own page), built here."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from ccpkh_excel import init_master, write_document
from ccpkh_excel.features.documents.lint import _theme_fonts, lint

CENTER, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY


@pytest.fixture(scope="module")
def plan_doc(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kh")
    init_master(folder / "so.xlsx", sample=True)
    return write_document(folder / "so.xlsx", "ke-hoach", folder / "kh.docx").path


def _messages(path: Path) -> list[str]:
    return [str(d) for d in lint(path)]


def test_theme_fonts_win_over_the_named_font(plan_doc, tmp_path):
    doc = Document(str(plan_doc))
    p = next(p for p in doc.paragraphs if p.text.startswith("Căn cứ"))
    p.runs[0]._r.get_or_add_rPr().rFonts.set(qn("w:asciiTheme"), "minorHAnsi")  # beside w:ascii="Times New Roman"
    doc.save(tmp_path / "theme.docx")
    minor = _theme_fonts(doc)["minor"]  # what Word shows (Cambria in python-docx's theme, Calibri in Office's)
    assert minor != "Times New Roman"
    assert any("Phông chữ" in m and minor in m for m in _messages(tmp_path / "theme.docx"))


def test_a_run_without_a_font_takes_the_themed_default(tmp_path):
    """python-docx's default template: docDefaults name the theme's minor font."""
    doc = _decree_sample()
    p = doc.add_paragraph()
    p.paragraph_format.first_line_indent = Cm(1)
    p.paragraph_format.space_before = Pt(6)
    p.alignment = JUSTIFY
    r = p.add_run("Đoạn văn này không ghi phông chữ nên Word hiển thị bằng phông của chủ đề tài liệu.")
    r.font.size = Pt(14)
    doc.save(tmp_path / "default.docx")
    minor = _theme_fonts(doc)["minor"]
    assert any("Phông chữ" in m and minor in m for m in _messages(tmp_path / "default.docx"))


def test_a_page_number_on_page_one_is_found(plan_doc, tmp_path):
    doc = Document(str(plan_doc))
    sec = doc.sections[0]
    first = sec.first_page_header.paragraphs[0]
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    first._p.append(fld)
    doc.save(tmp_path / "p1.docx")
    assert any("trang đầu có số trang" in m for m in _messages(tmp_path / "p1.docx"))


def test_header_lines_are_measured(plan_doc, tmp_path):
    doc = Document(str(plan_doc))
    cell = doc.tables[0].cell(0, 0)
    rule = next(p for p in cell.paragraphs if not p.text and p._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None)
    rule.paragraph_format.left_indent = rule.paragraph_format.right_indent = Mm(2)  # nearly the whole cell
    right = doc.tables[0].cell(0, 1)
    rule2 = next(p for p in right.paragraphs if not p.text and p._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None)
    rule2.paragraph_format.left_indent, rule2.paragraph_format.right_indent = Mm(30), Mm(5)  # short, off centre
    doc.save(tmp_path / "lines.docx")
    got = _messages(tmp_path / "lines.docx")
    assert any("đường kẻ dưới tên cơ quan dài" in m and "1/3–1/2" in m for m in got), got
    assert any("đường kẻ dưới Tiêu ngữ dài" in m for m in got), got
    assert _messages(plan_doc) == []  # as written: the lines fitted to the names


def test_documents_fit_their_lines_to_a_short_agency(tmp_path):
    from ccpkh_excel import Master

    init_master(tmp_path / "so.xlsx", sample=True)
    with Master.open(tmp_path / "so.xlsx") as m:
        plan = m.plan
        plan.info["Cơ quan ban hành"] = "Sở Nội vụ"
        plan.info["Số ký hiệu"] = "5/KH-SNV"
        plan.info["Quyền hạn ký"] = ""
        plan.info["Chức vụ người ký"] = "Giám đốc"
        m.save(plan=plan)
    result = write_document(tmp_path / "so.xlsx", "ke-hoach", tmp_path / "kh.docx")
    assert result.deviations == []
    text = "\n".join(p.text for t in Document(str(result.path)).tables for c in t._cells for p in c.paragraphs)
    assert "Số: 05/KH-SNV" in text  # a number below 10 takes a leading 0
    body = "\n".join(p.text for p in Document(str(result.path)).paragraphs)
    assert "(Kèm theo Kế hoạch số 05/KH-SNV ngày 27 tháng 12 năm 2025 của Giám đốc Sở Nội vụ)" in body


# --- the Decree's own layouts ------------------------------------------------------------------------
def _run(p, text, size, bold=False, italic=False, underline=False):
    r = p.add_run(text)
    r.font.name = "Times New Roman"
    r._r.get_or_add_rPr().rFonts.set(qn("w:hAnsi"), "Times New Roman")
    r.font.size, r.font.bold, r.font.italic, r.font.underline = Pt(size), bold, italic, underline
    return r


def _p(container, text="", size=14, bold=False, italic=False, align=CENTER, underline=False, first=False):
    p = container.paragraphs[0] if first else container.add_paragraph()
    p.alignment = align
    pf = p.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    if text:
        _run(p, text, size, bold, italic, underline)
    return p


def _line_after(container, width_pt: float):
    """A drawn line (VML), as the Decree's docx draws the lines under names."""
    p = container.add_paragraph()
    p.alignment = CENTER
    xml = (
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
        f'<v:line from="0,0" to="{width_pt}pt,0" strokeweight=".5pt"/></w:pict></w:r>'
    )
    p._p.append(parse_xml(xml))
    return p


def _no_borders(table):
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "nil")
        borders.append(e)
    table._tbl.tblPr.append(borders)


def _decree_sample(agency="BỘ NỘI VỤ", parent="", opening="Căn cứ") -> Document:
    """Mẫu 1.4 (văn bản có tên loại) as the Decree lays it out: header table 67.5 + 100 mm,
    agency 13 bold with a drawn line, Tiêu ngữ 14 bold underlined, date 14 italic; margins
    25/20/35/20 mm as the decree's own page; page number centred at the top, none on page 1."""
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(25), Mm(20), Mm(35), Mm(20)
    sec.different_first_page_header_footer = True
    hp = sec.header.paragraphs[0]
    hp.alignment = CENTER
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), "28")
    rpr.append(sz)
    r.append(rpr)
    fld.append(r)
    hp._p.append(fld)
    t = doc.add_table(rows=2, cols=2)
    _no_borders(t)
    for row in t.rows:
        row.cells[0].width, row.cells[1].width = Mm(67.5), Mm(100)
    left, right = t.cell(0, 0), t.cell(0, 1)
    if parent:
        _p(left, parent, 13, first=True)
        _p(left, agency, 13, bold=True)
    else:
        _p(left, agency, 13, bold=True, first=True)
    from ccpkh_excel.features.documents.measure import widest_line_mm

    _line_after(left, 0.4 * widest_line_mm(agency, 13, True, 67.5 - 3.8) / (25.4 / 72))
    _p(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13, bold=True, first=True)
    _p(right, "Độc lập - Tự do - Hạnh phúc", 14, bold=True, underline=True)  # the underline is its line
    _p(t.cell(1, 0), "Số: 05/BC-BNV", 13, first=True)
    _p(t.cell(1, 1), "Hà Nội, ngày 05 tháng 01 năm 2020", 14, italic=True, first=True)
    _p(doc, "BÁO CÁO", 14, bold=True).paragraph_format.space_before = Pt(12)
    _p(doc, "Kết quả thực hiện nhiệm vụ năm 2019", 14, bold=True)
    _line_after(doc, 40 * 72 / 25.4)
    for text in (
        f"{opening} vào kết quả kiểm tra công tác văn thư năm 2019, Bộ Nội vụ báo cáo kết quả như sau:",
        "Năm 2019, các đơn vị thuộc Bộ đã thực hiện nghiêm túc quy định về công tác văn thư, bảo đảm thể thức "
        "và kỹ thuật trình bày văn bản hành chính theo quy định.",
    ):
        p = _p(doc, text, 14, align=JUSTIFY)
        p.paragraph_format.first_line_indent = Cm(1)
        p.paragraph_format.space_before = Pt(6)
    sig = doc.add_table(rows=1, cols=2)
    _no_borders(sig)
    sig.cell(0, 0).width, sig.cell(0, 1).width = Mm(52.8), Mm(110.9)
    _p(sig.cell(0, 0), "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, first=True)
    for x in ("- Như trên;", "- Lưu: VT, VP."):
        _p(sig.cell(0, 0), x, 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _p(sig.cell(0, 1), "KT. BỘ TRƯỞNG", 13, bold=True, first=True)
    _p(sig.cell(0, 1), "THỨ TRƯỞNG", 13, bold=True)
    for _ in range(3):
        _p(sig.cell(0, 1), "")
    _p(sig.cell(0, 1), "Nguyễn Văn A", 14, bold=True)
    return doc


@pytest.mark.parametrize(
    "agency, parent, opening",
    [
        ("BỘ NỘI VỤ", "", "Căn cứ"),
        ("VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH", "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN", "Căn cứ"),
        ("SỞ NỘI VỤ", "UBND TỈNH THÁI NGUYÊN", "Thực hiện"),
    ],
)
def test_the_decrees_own_layouts_pass(tmp_path, agency, parent, opening):
    doc = _decree_sample(agency, parent, opening)
    doc.save(tmp_path / "mau.docx")
    assert _messages(tmp_path / "mau.docx") == []


def test_a_decree_sample_with_a_long_line_under_the_agency_fails(tmp_path):
    doc = _decree_sample()
    line = next(doc.tables[0].cell(0, 0)._tc.iter("{urn:schemas-microsoft-com:vml}line"))
    line.set("to", "150pt,0")  # 53 mm under a name 22 mm long
    doc.save(tmp_path / "dai.docx")
    assert any("đường kẻ dưới tên cơ quan dài" in m for m in _messages(tmp_path / "dai.docx"))


def test_report_prints_its_own_format_verdict_and_writes_one_letter_per_unit(tmp_path):
    from click.testing import CliRunner

    from ccpkh_excel.frontends.cli import cli

    assert CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo")]).exit_code == 0
    master = str(tmp_path / "demo" / "ke_hoach_cchc_2026.xlsx")
    common = ["--period", "Quý I/2026", "--as-of", "10/04/2026"]
    r = CliRunner().invoke(cli, ["report", master, "--kind", "bao-cao", *common, "--out", str(tmp_path / "bc.docx")])
    assert r.exit_code == 0, r.output
    assert "Kiểm tra thể thức: bc.docx đúng thể thức Nghị định 30/2020/NĐ-CP." in r.output
    r = CliRunner().invoke(
        cli, ["report", master, "--kind", "don-doc", "--per-unit", *common, "--out", str(tmp_path / "dd")]
    )
    assert r.exit_code == 0, r.output
    letters = sorted((tmp_path / "dd").glob("*_cong_van_don_doc_Quy_I_2026.docx"))
    assert f"Đã viết {len(letters)} công văn đôn đốc" in r.output and len(letters) >= 5
    assert "tất cả đúng thể thức" in r.output
    bad = CliRunner().invoke(cli, ["report", master, "--kind", "bao-cao", "--per-unit", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "--per-unit chỉ dùng với --kind don-doc" in bad.output


def test_the_chart_draws_only_the_classes_present():
    from datetime import date

    from ccpkh_excel.domain.status import Counts, StatusFigures
    from ccpkh_excel.features.documents.period_report import chart_series

    st = StatusFigures("Quý I/2026", date(2026, 4, 10))
    st.fields = [Counts("Thể chế", 3, on_time=1, in_progress=2), Counts("TTHC", 1, in_progress=1)]
    assert [name for name, _ in chart_series(st)] == ["Hoàn thành đúng hạn", "Đang thực hiện trong hạn"]


# --- fonts and sizes through the style chain ------------------------------------------------------
def _styled_body(font: str, size: int, other_font: str | None = None) -> Document:
    """The Decree's sample with its body paragraphs formatted only by a paragraph style
    ("Thân" based on "Gốc", which holds the font and size); their runs carry no rPr. With
    `other_font`, the second paragraph takes a second style, alike but for that font."""
    from docx.enum.style import WD_STYLE_TYPE

    doc = _decree_sample()
    root = doc.styles.add_style("Gốc", WD_STYLE_TYPE.PARAGRAPH)
    root.style_id = "Goc"
    root.font.name, root.font.size = font, Pt(size)
    root.element.rPr.rFonts.set(qn("w:hAnsi"), font)
    child = doc.styles.add_style("Thân", WD_STYLE_TYPE.PARAGRAPH)
    child.style_id = "Than"
    child.base_style = root
    child.font.bold = False  # a style between the paragraph and the font: the chain is followed
    styles = [child, child]
    if other_font:
        other = doc.styles.add_style("Thân khác", WD_STYLE_TYPE.PARAGRAPH)
        other.style_id = "ThanKhac"
        other.base_style = root
        other.font.name = other_font
        other.element.rPr.rFonts.set(qn("w:hAnsi"), other_font)
        styles[1] = other
    body = [p for p in doc.paragraphs if p.text.startswith(("Căn cứ", "Năm 2019"))]
    assert len(body) == 2
    for p, st in zip(body, styles, strict=True):
        p.style = st
        for r in p.runs:
            r._r.remove(r._r.rPr)
    return doc


def test_fonts_and_sizes_are_read_through_the_paragraph_styles_chain(tmp_path):
    _styled_body("Times New Roman", 14).save(tmp_path / "ok.docx")
    assert _messages(tmp_path / "ok.docx") == []  # not the themed default of docDefaults
    _styled_body("Arial", 11).save(tmp_path / "bad.docx")
    got = _messages(tmp_path / "bad.docx")
    assert any(m.startswith("Phông chữ") and "Arial" in m for m in got), got
    assert any("cỡ chữ 11" in m for m in got), got


def test_runs_formatted_alike_in_different_styles_are_resolved_apart(tmp_path):
    """The font check resolves a run's formatting once per (rPr, paragraph style)."""
    _styled_body("Times New Roman", 14, other_font="Arial").save(tmp_path / "two.docx")
    got = _messages(tmp_path / "two.docx")
    assert any(m.startswith("Phông chữ") and "Arial" in m for m in got), got


def test_a_run_without_formatting_takes_the_document_defaults(tmp_path):
    """No rPr, no style: docDefaults (here named Times New Roman 14, no theme font)."""
    doc = _decree_sample()
    defaults = doc.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    rfonts = defaults.find(qn("w:rFonts"))
    for k in list(rfonts.attrib):
        del rfonts.attrib[k]
    for a in ("ascii", "hAnsi", "cs", "eastAsia"):
        rfonts.set(qn(f"w:{a}"), "Times New Roman")
    sz = defaults.find(qn("w:sz"))
    if sz is None:
        sz = OxmlElement("w:sz")
        defaults.append(sz)
    sz.set(qn("w:val"), "28")
    for p in doc.paragraphs:
        if p.text.startswith(("Căn cứ", "Năm 2019")):
            assert p.style.name == "Normal" and p.style.font.name is None and p.style.font.size is None
            for r in p.runs:
                r._r.remove(r._r.rPr)
    doc.save(tmp_path / "defaults.docx")
    assert _messages(tmp_path / "defaults.docx") == []
    sz.set(qn("w:val"), "22")
    doc.save(tmp_path / "small.docx")
    assert any("cỡ chữ 11" in m for m in _messages(tmp_path / "small.docx"))
