"""The Word templates' table styles: the rows a table repeats (one per task, one per unit) take
their look from two paragraph styles of the template, not from formatting copied into every
cell — a province's ranking table has thousands of rows."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from ccpkh_excel import write_document
from ccpkh_excel.features.documents import nd30
from ccpkh_excel.features.documents.lint import _Styles
from ccpkh_excel.features.documents.templates import TABLE_STYLES, TEMPLATES, build
from ccpkh_excel.frontends.cli import cli
from ccpkh_excel.resources import templates_dir

STYLE_IDS = {style_id for _, style_id in TABLE_STYLES.values()}
WITH_TABLES = ("ke_hoach.docx", "phu_luc.docx", "bao_cao.docx")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mau")
    build(folder)
    return folder


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The BÁO CÁO of the demo's Quý I/2026."""
    out = tmp_path_factory.mktemp("demo")
    assert CliRunner().invoke(cli, ["demo", "--out", str(out)]).exit_code == 0
    r = write_document(
        out / "ke_hoach_cchc_2026.xlsx", "bao-cao", out / "bc.docx", period="Quý I/2026", as_of=date(2026, 4, 10)
    )
    assert r.deviations == []
    return r.path


def test_shipped_template_styles_are_what_the_builder_makes(built):
    for name in TEMPLATES:
        new = zipfile.ZipFile(built / name).read("word/styles.xml")
        shipped = zipfile.ZipFile(templates_dir() / name).read("word/styles.xml")
        assert new == shipped, f"{name}: chạy python -m ccpkh_excel.features.documents.templates"


@pytest.mark.parametrize("name", WITH_TABLES)
def test_table_styles_print_as_the_cells_did(built, name):
    """Times New Roman 12 (every script, no theme font), not bold or italic, no spacing, single
    line, centred or left; a Vietnamese name for the clerk, an ASCII id for every program."""
    doc = Document(str(built / name))
    for align, (style_name, style_id) in TABLE_STYLES.items():
        st = doc.styles[style_name]
        assert st.style_id == style_id and style_id.isascii() and style_id.isalnum()
        assert st.base_style.name == "Normal"
        assert st.font.name == nd30.FONT and st.font.size == Pt(nd30.TABLE_TEXT)
        assert st.font.bold is False and st.font.italic is False
        rfonts = st.element.rPr.find(qn("w:rFonts"))
        assert {rfonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "cs", "eastAsia")} == {nd30.FONT}
        assert not any(k.endswith("Theme") or k.endswith("theme") for k in rfonts.attrib)
        pf = st.paragraph_format
        assert (pf.space_before, pf.space_after, pf.line_spacing) == (Pt(0), Pt(0), 1.0)
        assert pf.alignment == align
    assert {WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT} == set(TABLE_STYLES)


def test_a_template_without_tables_has_no_table_styles(built):
    styles = zipfile.ZipFile(built / "cong_van_don_doc.docx").read("word/styles.xml").decode()
    assert not any(f'w:styleId="{sid}"' in styles for sid in STYLE_IDS)


def _body_rows(table):
    """The rows between the repeated header and the end: the ones the template repeats."""
    return [tr for tr in table._tbl.tr_lst if tr.trPr is None or tr.trPr.find(qn("w:tblHeader")) is None]


def test_the_ranking_tables_rows_carry_no_formatting_of_their_own(report):
    doc = Document(str(report))
    styles = _Styles(doc)
    ranking = next(t for t in doc.tables if t.rows[0].cells[0].text == "Hạng")
    rows = _body_rows(ranking)
    assert len(rows) >= 5  # the demo's units
    for tr in rows:
        for tc in tr.tc_lst:
            assert tc.tcPr is not None and tc.tcPr.find(qn("w:tcW")) is not None  # Word needs each cell's width
            for p in tc.p_lst:
                assert p.pPr is not None and p.pPr.pStyle is not None and p.pPr.pStyle.val in STYLE_IDS
                assert [k for k in p.pPr if k.tag != qn("w:pStyle")] == []  # no spacing, no alignment of its own
                for r in p.r_lst:
                    assert r.rPr is None, "a run formatted directly"
                    # the format check reads what Word prints through the style
                    assert styles.run(r, p, "font") == nd30.FONT
                    assert styles.run(r, p, "size") == nd30.TABLE_TEXT
                    assert not styles.run(r, p, "bold") and not styles.run(r, p, "italic")
                assert styles.para(p, "jc") in ("center", "left")
                assert (styles.para(p, "before"), styles.para(p, "after"), styles.para(p, "line")) == (0, 0, 240)
    names = [tr.tc_lst[1] for tr in rows]
    assert all(styles.para(tc.p_lst[0], "jc") == "left" for tc in names)  # the unit's name on the left


def test_every_repeated_row_of_the_reports_tables_is_styled(report):
    """Phụ lục I (tasks, with group rows) and both tables of Phụ lục II: the task and unit rows
    reference a style; only the header and the roman group rows keep direct formatting."""
    doc = Document(str(report))
    styled = 0
    for table in doc.tables[2:]:  # after the header and signature tables
        for tr in _body_rows(table):
            merged = any(tc.tcPr is not None and tc.tcPr.find(qn("w:gridSpan")) is not None for tc in tr.tc_lst)
            if merged:  # a group row (I., II. …)
                continue
            for tc in tr.tc_lst:
                for p in tc.p_lst:
                    assert p.pPr.pStyle.val in STYLE_IDS
                    assert all(r.rPr is None for r in p.r_lst)
                    styled += 1
    assert styled > 50
