"""The macro-enabled master: VBA built from text sources, buttons wired to entry points,
each entry point run end to end on a real master through a fake of the few xlwings calls."""

import inspect
import re
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from fake_xlwings import App as FakeApp
from fake_xlwings import Book as FakeBook
from fake_xlwings import Range as FakeRange
from fake_xlwings import Sheet as FakeSheet
from fake_xlwings import Sheets as FakeSheets
from fake_xlwings import Table as FakeTable
from fake_xlwings import Tables as FakeTables
from openpyxl import load_workbook
from returns import fill

from ccpkh_excel import read_plan, read_records, write_plan
from ccpkh_excel.errors import MasterError
from ccpkh_excel.features.documents.lint import lint
from ccpkh_excel.features.excel.dashboard import BUTTONS, DASHBOARD, SETTINGS
from ccpkh_excel.features.excel.vba import escape_vietnamese, project_modules, sources_dir
from ccpkh_excel.frontends import macros
from ccpkh_excel.resources import workbooks_dir

SHIPPED = workbooks_dir() / "ke_hoach_cchc_thai_nguyen_2026.xlsm"
BAS = sources_dir() / "BangDieuKhien.bas"


def _subs(source: str) -> set[str]:
    return set(re.findall(r"^Public Sub (\w+)\(\)", source, re.M))


# --- wiring ------------------------------------------------------------------------------
def test_every_button_names_a_sub_that_exists():
    from ccpkh_excel.features.excel.dashboard import PICKERS

    subs = _subs(BAS.read_text(encoding="utf-8"))
    wanted = {m for m, _, _ in BUTTONS} | set(PICKERS.values())
    assert wanted == subs
    with zipfile.ZipFile(SHIPPED) as z:
        vml = z.read(next(n for n in z.namelist() if n.startswith("xl/drawings/vmlDrawing"))).decode()
    assert sorted(re.findall(r"BangDieuKhien\.(\w+)", vml)) == sorted(wanted)
    for sub in PICKERS.values():  # folder pickers stay in VBA: no Python needed to pick a folder
        body = BAS.read_text(encoding="utf-8").split(f"Public Sub {sub}()")[1].split("End Sub")[0]
        assert "RunPython" not in body and "ChonThuMuc" in body


def test_every_runpython_names_an_entry_point_that_exists_and_is_tested():
    calls = re.findall(r'RunPython\(PY & "(\w+)\(\)"\)', BAS.read_text(encoding="utf-8"))
    assert len(calls) == len(BUTTONS)
    assert set(calls) == set(macros.ENTRY_POINTS)
    tested = Path(__file__).read_text(encoding="utf-8")
    for name in macros.ENTRY_POINTS:
        assert f"macros.{name}(" in tested, f"entry point {name} has no test"


def test_the_fake_matches_xlwings_api():
    import xlwings as xw

    pairs = [
        (FakeApp.alert, xw.main.App.alert),
        (FakeSheet.range, xw.main.Sheet.range),
        (FakeSheet.activate, xw.main.Sheet.activate),
        (FakeRange.clear_contents, xw.main.Range.clear_contents),
        (FakeBook.save, xw.main.Book.save),
        (FakeSheets.add, xw.main.Sheets.add),
        (FakeSheet.delete, xw.main.Sheet.delete),
        (FakeTable.resize, xw.main.Table.resize),
        (FakeTables.add, xw.main.Tables.add),
    ]
    for fake, real in pairs:
        fp = list(inspect.signature(fake).parameters)
        rp = list(inspect.signature(real).parameters)
        assert fp == rp[: len(fp)], (fake.__qualname__, fp, rp)
    for prop in ("fullname", "sheets"):
        assert isinstance(inspect.getattr_static(xw.main.Book, prop), property)
    for cls, props in (
        ("Sheet", ("used_range", "visible", "tables", "api", "name")),
        ("Range", ("value", "shape", "row", "column", "address")),
        ("Table", ("range", "name", "data_body_range")),
    ):
        for prop in props:
            assert isinstance(inspect.getattr_static(getattr(xw.main, cls), prop), property), (cls, prop)
            assert isinstance(inspect.getattr_static(globals()[f"Fake{cls}"], prop), property), (cls, prop)
    assert callable(xw.main.Sheets.__getitem__) and callable(xw.main.Tables.__getitem__)
    assert callable(xw.Book.caller)


# --- the shipped workbook -------------------------------------------------------------------
def test_olevba_finds_exactly_the_modules_and_subs_of_the_sources():
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(SHIPPED))
    found = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    modules = {m.name: m for m in project_modules()}
    assert set(found) == set(modules)

    def code(text: str) -> str:
        lines = [line for line in text.replace("\r\n", "\n").split("\n") if not line.startswith("Attribute VB_")]
        return "\n".join(lines).strip()

    for name, m in modules.items():
        assert code(found[name]) == code(m.source), name
    ours = escape_vietnamese(BAS.read_text(encoding="utf-8"))
    assert _subs(found["BangDieuKhien"].replace("\r\n", "\n")) == _subs(ours)
    assert "Public Function RunPython" in found["xlwings"]


def test_shipped_macro_workbook_holds_the_sample():
    from ccpkh_excel.domain.sample import sample_plan

    plan, ref = read_plan(SHIPPED), sample_plan()
    assert plan.tasks == ref.tasks and plan.units == ref.units
    wb = load_workbook(SHIPPED, keep_vba=True)
    assert wb.sheetnames[0] == DASHBOARD and wb.active.title == DASHBOARD
    dash = wb[DASHBOARD]
    assert [dash[f"A{row}"].value for row, *_ in SETTINGS.values()] == [label for _, label, _, _ in SETTINGS.values()]


def test_olevba_sees_no_sheet_index_and_an_error_handler_in_every_button():
    """Sheets named by name, never by position; every button's Sub has `On Error GoTo`."""
    from oletools.olevba import VBA_Parser

    from ccpkh_excel.features.excel.dashboard import PICKERS

    parser = VBA_Parser(str(SHIPPED))
    ours = {Path(name).stem: code for _, _, name, code in parser.extract_macros() if "xlwings" not in name}
    parser.close()
    assert {"BangDieuKhien", "ThisWorkbook", "Sheet1"} <= set(ours)
    for name, code in ours.items():
        assert not re.search(r"\b(Worksheets|Sheets|Charts)\s*\(\s*\d", code, re.I), name
    bas = ours["BangDieuKhien"].replace("\r\n", "\n")
    buttons = {m for m, _, _ in BUTTONS} | set(PICKERS.values())
    for sub in buttons:
        body = bas.split(f"Public Sub {sub}()")[1].split("End Sub")[0]
        assert re.search(r"^\s*On Error GoTo \w+", body, re.M), sub
        label = re.search(r"^(\w+):", body, re.M)
        assert label and "BaoLoi" in body.split(label.group(0))[1], sub
    # the version of xlwings' module in the workbook is compared with Python's, really
    assert "XLWINGS_VERSION" in bas and "x.__version__" in bas
    from ccpkh_excel.features.excel.vba import xlwings_sources

    embedded = re.search(r'XLWINGS_VERSION As String = "([\d.]+)"', xlwings_sources()[0].read_text()).group(1)
    import xlwings

    assert embedded == xlwings.__version__


def test_shipped_xlwings_conf_holds_no_empty_key():
    wb = load_workbook(SHIPPED, keep_vba=True)
    conf = wb["xlwings.conf"]
    rows = [(conf.cell(row=r, column=1).value, conf.cell(row=r, column=2).value) for r in range(1, conf.max_row + 1)]
    keys = [(k, v) for k, v in rows if k not in (None, "")]
    assert keys == [("Interpreter_Win", "python")]
    assert all(v not in (None, "") for _, v in keys)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_macro_workbook(tmp_path):
    from ccpkh_excel.features.documents.rendering import convert

    pdf = convert(SHIPPED, "pdf", tmp_path / "lo")
    assert pdf.stat().st_size > 1000


def _macro_state(path: Path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        vml = z.read(next(n for n in names if n.startswith("xl/drawings/vmlDrawing"))).decode()
        return z.read("xl/vbaProject.bin"), sorted(re.findall(r"BangDieuKhien\.\w+", vml))


def test_cli_merge_and_check_keep_macros_buttons_and_dashboard(tmp_path):
    from click.testing import CliRunner

    from ccpkh_excel.frontends.cli import cli

    master = tmp_path / "so.xlsm"
    shutil.copy(SHIPPED, master)
    before = _macro_state(master)
    runner = CliRunner()
    assert runner.invoke(cli, ["check", str(master)]).exit_code == 0
    assert (
        runner.invoke(
            cli, ["generate", str(master), "--period", "Quý I/2026", "--out", str(tmp_path / "gui")]
        ).exit_code
        == 0
    )
    assert runner.invoke(cli, ["merge", str(master), str(tmp_path / "gui")]).exit_code == 0
    plan = read_plan(master)
    plan.tasks[0].note = "sửa"
    write_plan(plan, master)
    assert _macro_state(master) == before
    wb = load_workbook(master, keep_vba=True)
    assert wb.sheetnames[0] == DASHBOARD
    assert wb[DASHBOARD]["B4"].value == "phieu_gui"
    with zipfile.ZipFile(master) as z:
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in z.read("[Content_Types].xml").decode()


def test_a_save_that_would_drop_the_macros_is_refused(tmp_path, monkeypatch):
    master = tmp_path / "so.xlsm"
    shutil.copy(SHIPPED, master)
    before = master.read_bytes()
    import openpyxl.workbook.workbook as wbmod

    real = wbmod.Workbook.save

    def lossy(self, filename):
        self.vba_archive = None  # what happens when a workbook is opened without keep_vba
        real(self, filename)

    monkeypatch.setattr(wbmod.Workbook, "save", lossy)
    with pytest.raises(MasterError, match=r"làm mất xl/drawings/vmlDrawing, xl/vbaProject.bin \(macro, nút bấm\)"):
        write_plan(read_plan(master), master)
    assert master.read_bytes() == before


# --- each entry point, end to end ---------------------------------------------------------------
@pytest.fixture
def book(tmp_path, built_samples):
    from conftest import copy_sample

    path = copy_sample(built_samples, tmp_path / "so.xlsm")
    b = FakeBook(path)
    b.sheets[DASHBOARD].range("B3").value = "Quý I/2026"
    return b


def _alert(book):
    assert book.app.alerts, "no message shown"
    return book.app.alerts[-1]


def test_check(book):
    ws = book.wb["Danh mục nhiệm vụ"]
    ws.append([None, "24", "", "Việc văn thư thêm trong Excel", "Sở Nội vụ", "", "Quý III/2026"])
    macros.check(book)
    a = _alert(book)
    assert a["mode"] == "info" and "Đã cấp mã cho 1 nhiệm vụ mới: NV024." in a["prompt"]
    assert book.sheets["Danh mục nhiệm vụ"].range("A25").value == "NV024"  # written back into the open book
    assert read_plan(book.path).tasks[-1].code == "NV024"  # and saved by "Excel"


def test_import_word(book, tmp_path):
    from docx_builder import seed_004_docx

    src = seed_004_docx(tmp_path / "nq66.docx")
    book.sheets[DASHBOARD].range("B8").value = str(src)
    macros.import_word(book)
    assert "Đã nhập 10 nhiệm vụ từ nq66.docx: mới 10" in _alert(book)["prompt"]
    assert len(read_plan(book.path).tasks) == 33


def test_generate_merge_status_and_documents(book, tmp_path):
    macros.generate(book)
    assert "Đã tạo 16 phiếu kỳ Quý I/2026" in _alert(book)["prompt"]
    sent = tmp_path / "phieu_gui"
    assert len(list(sent.glob("*.xlsx"))) == 16
    received = tmp_path / "phieu_nhan"
    received.mkdir()
    f = received / "SNV.xlsx"
    shutil.copy(next(sent.glob("SNV_*.xlsx")), f)
    fill(f, {"NV001": ("Hoàn thành", date(2026, 3, 20), "=KH số 45", "", "")})
    macros.merge(book)
    assert "Đã tổng hợp 1/1 tệp" in _alert(book)["prompt"]
    th = book.sheets["Tổng hợp"].range("A2:N2").value  # one row: a flat list, as xlwings gives
    assert th[:2] == ["NV001", "SNV"] and th[7] == "=KH số 45"  # text, not a formula
    assert book.wb["Tổng hợp"]["H2"].data_type == "s"
    assert str(th[13]).startswith("=IF(")  # the live evaluation column
    row = read_records(book.path).summary[0]
    assert (row.task, row.unit) == ("NV001", "SNV")
    assert (tmp_path / "sao_luu").is_dir()
    book.sheets[DASHBOARD].range("B6").value = date(2026, 4, 10)
    macros.status(book)
    a = _alert(book)["prompt"]
    assert a.startswith("Kỳ Quý I/2026, tính đến 10/04/2026: 23 nhiệm vụ") and "Chưa nộp phiếu (15)" in a
    assert book.active_sheet == "Thống kê" and book.sheets["Thống kê"].range("B2").value == "Quý I/2026"
    written = []
    macros.report_plan(book)
    written.append((_alert(book)["prompt"], "ke_hoach.docx"))
    macros.report_periodic(book)
    written.append((_alert(book)["prompt"], "bao_cao_Quy_I_2026.docx"))
    macros.report_reminder(book)
    written.append((_alert(book)["prompt"], "cong_van_don_doc_Quy_I_2026.docx"))
    for message, name in written:
        doc = tmp_path / "van_ban" / name
        assert f"Đã viết {doc}." in message
        assert lint(doc) == []


def test_expected_problems_are_message_boxes_not_tracebacks(book):
    macros.merge(book)  # no "phieu_nhan" folder yet
    a = _alert(book)
    assert a["mode"] == "critical" and a["prompt"].startswith("Không có thư mục phiếu nhận về")
    assert "Traceback" not in a["prompt"]
    book.sheets[DASHBOARD].range("B3").value = None
    macros.generate(book)
    assert _alert(book)["prompt"] == "Chưa chọn Kỳ báo cáo ở Bảng điều khiển."
    book.sheets[DASHBOARD].range("B8").value = None
    macros.import_word(book)
    assert _alert(book)["prompt"] == "Chưa chọn tệp để nhập."


def test_the_caller_is_excel_by_default(monkeypatch, book):
    monkeypatch.setattr(macros, "_caller", lambda: book)
    macros.check()
    assert "Sổ có 23 nhiệm vụ" in _alert(book)["prompt"]


def test_a_master_from_an_older_version_gains_the_new_sheets_through_excel(tmp_path):
    """The shipped .xlsm predates the plan's secret and the mail sheets: the first button that
    writes adds them to the open book (the secret very hidden), and signed forms then merge."""
    from returns import fill

    path = tmp_path / "cu.xlsm"
    old = load_workbook(SHIPPED, keep_vba=True)
    for name in ("Thư điện tử", "Cài đặt thư"):
        del old[name]
    old.save(path)
    b = FakeBook(path)
    b.sheets[DASHBOARD].range("B3").value = "Quý I/2026"
    macros.generate(b)
    assert "Đã tạo 16 phiếu" in _alert(b)["prompt"]
    assert b.wb["_ccpkh"].sheet_state != "visible" and "Thư điện tử" in b.wb.sheetnames
    received = tmp_path / "phieu_nhan"
    received.mkdir()
    f = received / "SNV.xlsx"
    shutil.copy(next((tmp_path / "phieu_gui").glob("SNV_*.xlsx")), f)
    fill(f, {"NV001": ("Hoàn thành", date(2026, 3, 20), "Xong", "", "")})
    macros.merge(b)
    assert "Đã tổng hợp 1/1 tệp" in _alert(b)["prompt"], _alert(b)["prompt"]


def test_check_reports_a_master_that_lost_its_macros(tmp_path, built_samples):
    """Saved by a program that drops the VBA project: `check` says so and what to run."""
    from conftest import copy_sample

    from ccpkh_excel import check_master

    path = copy_sample(built_samples, tmp_path / "so.xlsm")
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist() if not i.filename.startswith("xl/vbaProject")}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    result = check_master(path)
    lost = [p for p in result.problems if p.kind == "Sổ mất macro"]
    assert lost and "ccpkh-excel macros" in lost[0].message, result.problems
    assert result.exit_code == 1
