"""PDF with text (issue 11, requirement 2): the seeds printed through LibreOffice import exactly
as their .docx — ruled tables, the header repeated on each page, rows broken over two pages,
cells with line breaks; a commune's plan with names broken inside cells; a programme in prose."""

import shutil
from pathlib import Path

import pytest
from docx_builder import PROGRAMME_EXPECTED, programme_docx, seed_000_docx, seed_003_docx, seed_004_docx
from test_import_names import COMMUNE, assert_commune, commune_docx

from ccpkh_excel import read_plan
from ccpkh_excel.domain.plan import resolve_task
from ccpkh_excel.errors import SourceError
from ccpkh_excel.features.importing import import_plan, read_source
from ccpkh_excel.features.name_review import CHECK_SHEET
from ccpkh_excel.store.master import Master

pytestmark = pytest.mark.libreoffice

BUILDERS = {
    "000": seed_000_docx,
    "003": seed_003_docx,
    "004": seed_004_docx,
    "xa": commune_docx,
    "chuong_trinh": programme_docx,
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Each document as .docx and as the PDF LibreOffice prints of it (built once)."""
    from ccpkh_excel.features.documents.rendering import convert

    folder = tmp_path_factory.mktemp("in")
    out = {}
    for name, build in BUILDERS.items():
        docx = build(folder / f"{name}.docx")
        out[name] = (docx, convert(docx, "pdf", folder))
    return out


@pytest.fixture
def commune_master(tmp_path) -> Path:
    from ccpkh_excel import write_plan
    from ccpkh_excel.domain.plan import Plan

    path = tmp_path / "xa.xlsx"
    write_plan(Plan(info={"Năm": 2026}, units=COMMUNE), path)
    return path


def _tasks(master: Path) -> list[tuple]:
    plan = read_plan(master)
    d = plan.directory()
    rows = []
    for t in plan.tasks:
        r = resolve_task(t, d)
        rows.append(
            (
                t.code,
                t.stt,
                t.field,
                t.content,
                t.lead,
                t.coop,
                t.deadline,
                t.due,
                t.product,
                t.note,
                r.lead.codes,
                r.coop.codes,
            )
        )
    return rows


@pytest.mark.parametrize("seed", ["000", "003", "004"])
def test_seed_pdf_imports_exactly_as_docx(tmp_path, units_master, skhcn_master, printed, seed):
    base = skhcn_master if seed == "003" else units_master
    results = []
    for kind, source in zip(("docx", "pdf"), printed[seed], strict=True):
        master = tmp_path / f"{kind}.xlsx"
        shutil.copyfile(base, master)
        report = import_plan(source, master)
        assert report.exit_code == 0, [p.message for p in report.problems] + report.warnings
        results.append(_tasks(master))
    assert results[1] == results[0]
    assert len(results[0]) == {"000": 23, "003": 13, "004": 10}[seed]


def test_pdf_tables_are_read_page_by_page(printed):
    table = read_source(printed["000"][1])
    assert table.kind == "pdf"
    assert all(w.startswith("trang ") for w in table.tables)
    # the header LibreOffice repeats on each page, and the copies pasted mid-table, are skipped
    assert sum("tiêu đề lặp lại" in s for s in table.skipped) >= 2
    # a row the page breaks is one task, read from both pages
    broken = [o for o in table.origins if "tiếp sang trang" in o.where]
    assert broken, [o.where for o in table.origins]
    assert table.info["Số ký hiệu"] == "188/KH-UBND"


def test_kiem_tra_nhap_gives_the_page_of_each_row(tmp_path, units_master, printed):
    import_plan(printed["000"][1], units_master)
    rows = Master.read(units_master).sheet(CHECK_SHEET)
    assert len(rows) == 23
    assert rows[0].page == 2 and rows[0].stt == "1" and rows[0].lead == "SNV – Sở Nội vụ"
    assert rows[0].lead_how == "đúng tên" and rows[0].coop_how == "nhóm"
    assert rows[2].lead_how == "tên khác"  # Văn phòng UBND tỉnh
    assert sorted({r.page for r in rows}) == sorted({r.page for r in rows if r.page})  # every row has its page


def test_commune_pdf_with_names_broken_in_cells(tmp_path, commune_master, printed):
    report = import_plan(printed["xa"][1], commune_master)
    assert report.exit_code == 0, [p.message for p in report.problems] + report.warnings
    assert_commune(commune_master)


def test_programme_pdf_without_table_imports_its_prose_assignments(tmp_path, units_master, printed):
    report = import_plan(printed["chuong_trinh"][1], units_master)
    assert report.exit_code == 0, [p.message for p in report.problems] + report.warnings
    plan = read_plan(units_master)
    d = plan.directory()
    got = [
        (t.stt, set(resolve_task(t, d).lead.codes), set(resolve_task(t, d).coop.codes), t.deadline) for t in plan.tasks
    ]
    assert got == PROGRAMME_EXPECTED


def test_a_damaged_pdf_is_named_as_such(tmp_path, printed):
    bad = tmp_path / "hong.pdf"
    bad.write_bytes(printed["000"][1].read_bytes()[:900])
    with pytest.raises(SourceError) as exc:
        read_source(bad)
    assert "PDF" in str(exc.value) and "không phải tệp Word" not in str(exc.value)
