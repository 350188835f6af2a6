"""Names in cells (issue 11, requirement 1) and learning names (requirement 5): a name broken by
line breaks is joined before it is resolved, a cell is split only where every part is a unit,
a sub-unit in parentheses resolves to its unit and goes to Ghi chú; a spelling the clerk
accepts once (`units accept`, `import --interactive`) is a Tên khác from then on."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from docx_builder import add_table, new_document

from ccpkh_excel import read_plan, write_plan
from ccpkh_excel.domain.plan import Plan, resolve_task
from ccpkh_excel.domain.units import ALIAS, EXACT, FUZZY, GROUP, UNKNOWN, Directory, Unit, join_unit_lines, sub_units
from ccpkh_excel.features.importing import import_plan
from ccpkh_excel.features.name_review import CHECK_SHEET, accept_name
from ccpkh_excel.frontends.cli import cli
from ccpkh_excel.store.master import Master

XA = "Các phòng, đơn vị thuộc UBND xã"
COMMUNE = [
    Unit("VP", "Văn phòng HĐND và UBND xã", [], [XA], "vp@xa.example"),
    Unit("VHXH", "Phòng Văn hóa - Xã hội", [], [XA], "vhxh@xa.example"),
    Unit("KT", "Phòng Kinh tế", [], [XA], "kt@xa.example"),
    Unit("TTPVHCC", "Trung tâm Phục vụ hành chính công xã", [], [XA], "tt@xa.example"),
    Unit("CA", "Công an xã", [], [], "ca@xa.example"),
]
D = Directory(COMMUNE)


@pytest.mark.parametrize(
    "lines, joined",
    [
        (["Phòng Văn hóa", "– Xã hội"], "Phòng Văn hóa – Xã hội"),
        (["Văn phòng", "HĐND và", "UBND xã"], "Văn phòng HĐND và UBND xã"),
        (["Phòng Kinh tế", "Công an xã"], "Phòng Kinh tế; Công an xã"),
        (
            ["Văn phòng", "HĐND và", "UBND xã,", "Phòng Văn hóa", "- Xã hội"],
            "Văn phòng HĐND và UBND xã, Phòng Văn hóa - Xã hội",
        ),
        (["- Phòng Kinh tế;", "- Công an xã"], "Phòng Kinh tế; Công an xã"),
        (["Ban Chỉ huy", "Quân sự xã"], "Ban Chỉ huy Quân sự xã"),  # unknown: one name, not two
    ],
)
def test_line_breaks_inside_a_name_are_joined(lines, joined):
    assert join_unit_lines(lines, D) == joined


def test_a_cell_splits_only_where_every_part_is_a_unit():
    r = D.resolve("Văn phòng HĐND và UBND xã, Phòng Văn hóa - Xã hội và Công an xã")
    assert r.codes == ["VP", "VHXH", "CA"] and not r.unresolved
    r = D.resolve("Ban Chỉ huy Quân sự và Biên phòng xã")  # not every part known: one name
    assert [u.text for u in r.unresolved] == ["Ban Chỉ huy Quân sự và Biên phòng xã"]


def test_sub_unit_in_parentheses_resolves_to_its_unit_and_goes_to_the_note():
    r = D.resolve("Phòng Văn hóa - Xã hội (Bộ phận Thi đua, Khen thưởng), Công an xã")
    assert r.codes == ["VHXH", "CA"] and not r.unresolved
    text, notes = sub_units("Phòng Văn hóa - Xã hội (Bộ phận Thi đua, Khen thưởng), Công an xã", D)
    assert text == "Phòng Văn hóa - Xã hội, Công an xã"
    assert notes == ["Bộ phận Thi đua, Khen thưởng (Phòng Văn hóa - Xã hội)"]


def test_how_each_name_resolved():
    d = Directory([*COMMUNE, Unit("SNV", "Sở Nội vụ", ["SNV tỉnh"])])
    how = {m.text: m.how for m in d.explain("Sở Nội vụ, SNV tỉnh, các phòng, đơn vị thuộc UBND xã; Hội Cựu chiến binh")}
    assert how == {
        "Sở Nội vụ": EXACT,
        "SNV tỉnh": ALIAS,
        "các phòng, đơn vị thuộc UBND xã": GROUP,
        "Hội Cựu chiến binh": UNKNOWN,
    }


@pytest.mark.parametrize(
    "read, code",
    [("S6 Noi vu", "SNV"), ("S& Tai chinh", "STC"), ("Vin phong Uy ban nhan dén tinh", "VPUBND"), ("86Y té", "SYT")],
)
def test_ocr_garbled_names_are_guessed_when_one_unit_is_clearly_closest(read, code):
    from ccpkh_excel.domain.sample import sample_units

    g = Directory(sample_units()).guess(read)
    assert g is not None and g.how == FUZZY and g.codes == [code] and g.score >= 85


def test_no_guess_when_two_units_are_as_close():
    d = Directory([Unit("A", "Phòng Kinh tế xã A"), Unit("B", "Phòng Kinh tế xã B")])
    assert d.guess("Phong Kinh te xa") is None


# --- a commune's DANH MỤC with names broken inside cells -------------------------------------------
COMMUNE_HEADER = [["STT", "Nội dung công việc", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"]]
COMMUNE_ROWS = [
    (
        "1",
        "Xây dựng kế hoạch CCHC năm 2026 của xã",
        "Văn phòng\nHĐND và\nUBND xã",
        "Phòng Văn hóa\n– Xã hội",
        "Quý I/2026",
    ),
    ("2", "Tuyên truyền về CCHC", "Phòng Văn hóa\n– Xã hội", "Văn phòng\nHĐND và\nUBND xã,\nCông an xã", "Năm 2026"),
    (
        "3",
        "Rà soát TTHC tại Trung tâm",
        "Trung tâm Phục vụ\nhành chính công xã",
        "Phòng Kinh tế\nCông an xã",
        "Tháng 6/2026",
    ),
    (
        "4",
        "Khen thưởng trong CCHC",
        "Phòng Văn hóa - Xã hội (Bộ phận Thi đua - Khen thưởng)",
        "Các phòng, đơn vị\nthuộc UBND xã",
        "Quý IV/2026",
    ),
]
COMMUNE_EXPECTED = [
    ({"VP"}, {"VHXH"}),
    ({"VHXH"}, {"VP", "CA"}),
    ({"TTPVHCC"}, {"KT", "CA"}),
    ({"VHXH"}, {"VP", "KT", "TTPVHCC"}),
]


def commune_docx(path: Path) -> Path:
    from docx.shared import Cm

    doc = new_document("nfc", title="Cải cách hành chính xã Đại Từ năm 2026")
    doc.add_paragraph("DANH MỤC NHIỆM VỤ")
    table = add_table(doc, COMMUNE_HEADER, COMMUNE_ROWS, "nfc")
    table.autofit = False
    for column, width in zip(table.columns, (1.5, 8, 5, 5, 4), strict=True):
        for cell in column.cells:
            cell.width = Cm(width)
    doc.save(path)
    return path


@pytest.fixture
def commune_master(tmp_path) -> Path:
    path = tmp_path / "xa.xlsx"
    write_plan(
        Plan(
            info={"Năm": 2026}, units=[Unit(u.code, u.name, list(u.aliases), list(u.groups), u.email) for u in COMMUNE]
        ),
        path,
    )
    return path


def assert_commune(master: Path) -> None:
    plan = read_plan(master)
    d = plan.directory()
    got = [(set(r.lead.codes), set(r.coop.codes)) for r in (resolve_task(t, d) for t in plan.tasks)]
    assert got == COMMUNE_EXPECTED
    assert plan.tasks[3].note == "Đầu mối: Bộ phận Thi đua - Khen thưởng (Phòng Văn hóa - Xã hội)"
    assert plan.tasks[3].lead == "Phòng Văn hóa - Xã hội"


def test_commune_plan_with_names_broken_in_cells_imports_clean(tmp_path, commune_master):
    report = import_plan(commune_docx(tmp_path / "xa.docx"), commune_master)
    assert report.exit_code == 0, [p.message for p in report.problems] + report.warnings
    assert_commune(commune_master)


# --- learning ------------------------------------------------------------------------------------
def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def test_units_accept_adds_the_spelling_to_ten_khac(units_master):
    result = run("units", "accept", units_master, "S6 Noi vu", "SNV")
    assert result.exit_code == 0, result.output
    assert "Đã ghi 'S6 Noi vu' vào Tên khác của SNV – Sở Nội vụ." in result.output
    unit = next(u for u in read_plan(units_master).units if u.code == "SNV")
    assert unit.aliases == ["S6 Noi vu"]
    again = run("units", "accept", units_master, "s6 noi vu", "SNV")  # already there: nothing changes
    assert again.exit_code == 0 and "không đổi gì" in again.output
    assert next(u for u in read_plan(units_master).units if u.code == "SNV").aliases == ["S6 Noi vu"]


def test_units_accept_refuses_an_unknown_code_or_another_units_name(units_master):
    result = run("units", "accept", units_master, "Sở Nội vụ", "STP")
    assert result.exit_code == 2 and "đã là tên của đơn vị khác (SNV)" in result.output + (result.stderr or "")
    result = run("units", "accept", units_master, "Sở Ngoại vụ", "SNGV")
    assert result.exit_code == 2 and "không có đơn vị mã 'SNGV'" in result.output + (result.stderr or "")


def test_learning_makes_the_second_import_clean(tmp_path, units_master):
    from docx_builder import PROGRAMME_EXPECTED, programme_ocr_text

    src = tmp_path / "chuong_trinh_ocr.txt"
    src.write_text(programme_ocr_text(), encoding="utf-8")
    first = run("import", src, units_master)
    assert first.exit_code == 1, first.output
    assert "'S6 Noi vu' được hiểu là 'Sở Nội vụ' (gần đúng 100%)" in first.output
    for spelling, code in (
        ("S6 Noi vu", "SNV"),
        ("S& Tai chinh", "STC"),
        ("Vin phong Uy ban nhan dén tinh", "VPUBND"),
        ("Sé Khoa hoc va Céng nghé", "SKHCN"),
        ("86Y té", "SYT"),
    ):
        assert accept_name(units_master, spelling, code).added
    second = run("import", src, units_master)
    assert second.exit_code == 0, second.output
    assert "Không đổi: 12" in second.output and "Cần xem lại" not in second.output
    plan = read_plan(units_master)
    assert [t.lead for t in plan.tasks][1] == "Sở Nội vụ"  # the unit's own name, not the OCR spelling
    d = plan.directory()
    assert [set(resolve_task(t, d).lead.codes) for t in plan.tasks] == [e[1] for e in PROGRAMME_EXPECTED]


def test_import_interactive_asks_each_name_once_and_learns(tmp_path, units_master):
    from docx_builder import programme_ocr_text

    src = tmp_path / "chuong_trinh_ocr.txt"
    src.write_text(programme_ocr_text(), encoding="utf-8")
    # five spellings: yes, yes, no (then type the code), yes, and no with nothing typed
    result = run("import", "--interactive", src, units_master, input="y\ny\nn\nVPUBND\ny\nn\n\n")
    assert "Xác nhận 5 tên đơn vị" in result.output
    assert "Đã ghi 'Vin phong Uy ban nhan dén tinh' vào Tên khác của VPUBND" in result.output
    units = {u.code: u.aliases for u in read_plan(units_master).units}
    assert units["SNV"] == ["S6 Noi vu"] and units["STC"] == ["S& Tai chinh"] and units["SYT"] == []
    assert result.exit_code == 0, result.output  # guessed leads were already written as the units' names
    second = run("import", src, units_master)
    assert second.exit_code == 1 and "'86Y té' được hiểu là 'Sở Y tế'" in second.output
    assert "'S6 Noi vu'" not in second.output


def test_kiem_tra_nhap_sheet_says_how_each_name_resolved(tmp_path, units_master):
    from docx_builder import programme_ocr_text

    src = tmp_path / "ct.txt"
    src.write_text(programme_ocr_text(), encoding="utf-8")
    import_plan(src, units_master)
    rows = Master.read(units_master).sheet(CHECK_SHEET)
    assert len(rows) == 12
    first = rows[1]
    assert first.stt == "2.a" and first.lead_read == "S6 Noi vu"
    assert first.lead == "SNV – Sở Nội vụ" and first.lead_how == "gần đúng 100%"
    assert "'S6 Noi vu' → 'Sở Nội vụ' (gần đúng 100%)" in first.review
    assert rows[0].lead_how == "nhóm" and rows[0].lead.startswith("Các sở, ban, ngành (11 đơn vị)")


def test_check_lists_unknown_names_and_learns_the_unit_the_clerk_picks(tmp_path, units_master):
    from docx_builder import programme_lines

    from ccpkh_excel import check_master
    from ccpkh_excel.features.name_review import NAME_SHEET

    src = tmp_path / "ct.txt"
    src.write_text(
        "\n".join(programme_lines()).replace("5. Sở Tư pháp", "5. Sở Tư phap tỉnh Bắc Giang"), encoding="utf-8"
    )
    import_plan(src, units_master)
    first = check_master(units_master)
    assert first.exit_code == 1
    rows = Master.read(units_master).sheet(NAME_SHEET)
    from openpyxl import load_workbook

    ws = load_workbook(units_master)[NAME_SHEET.name]
    (dv,) = [d for d in ws.data_validations.dataValidation if d.type == "list"]
    assert dv.formula1 == "'Đơn vị'!$A$2:$A$5000" and str(dv.sqref).startswith("E2:E")  # the dropdown of units
    assert rows == [NAME_SHEET.row("Sở Tư phap tỉnh Bắc Giang", "chủ trì", "NV009", "STP – Sở Tư pháp", "")]
    with Master.open(units_master) as m:  # the clerk picks the unit in the dropdown
        m.save(sheets={NAME_SHEET: [[*rows[0][:4], "STP – Sở Tư pháp"]]})
    second = check_master(units_master)
    assert second.exit_code == 0, [p.message for p in second.problems]
    assert "Ghi nhận 1 tên vào Tên khác: 'Sở Tư phap tỉnh Bắc Giang' → STP." in second.changes
    assert Master.read(units_master).sheet(NAME_SHEET) == []
    assert "Sở Tư phap tỉnh Bắc Giang" in next(u for u in read_plan(units_master).units if u.code == "STP").aliases
    again = import_plan(src, units_master)  # and the next import knows it
    assert again.exit_code == 0


def test_a_pick_that_names_no_unit_is_reported_not_learned(tmp_path, units_master):
    from docx_builder import programme_lines

    from ccpkh_excel import check_master
    from ccpkh_excel.features.name_review import NAME_SHEET

    src = tmp_path / "ct.txt"
    src.write_text("\n".join(programme_lines()).replace("5. Sở Tư pháp", "5. Ban Dân tộc"), encoding="utf-8")
    import_plan(src, units_master)
    check_master(units_master)
    row = Master.read(units_master).sheet(NAME_SHEET)[0]
    with Master.open(units_master) as m:
        m.save(sheets={NAME_SHEET: [[*row[:4], "BDT"]]})
    result = check_master(units_master)
    assert any("không có đơn vị mã 'BDT'" in p.message for p in result.problems)
