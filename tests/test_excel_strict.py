"""The strict xlwings double behaves as Excel does (each case after Excel's or xlwings' own
documentation), and every button works against it on the protected master: sheets unprotected
only while written, tables resized to their data, codes and STT kept as text, the open book
put back as it was when a write fails half way. Then the masters that lost their macros."""

import shutil
import zipfile
from datetime import date, datetime

import pytest
from fake_xlwings import XL_ERROR_1004, Book, ComError
from openpyxl import load_workbook
from openpyxl.styles import Protection

from ccpkh_excel import read_plan, read_records
from ccpkh_excel.features.excel.dashboard import DASHBOARD, lost_macros
from ccpkh_excel.frontends import macros
from ccpkh_excel.store.master import Master

ASSIGN, TASKS = "Phân công", "Danh mục nhiệm vụ"


@pytest.fixture
def book(tmp_path, built_samples):
    from conftest import copy_sample

    b = Book(copy_sample(built_samples, tmp_path / "so.xlsm"))
    b.sheets[DASHBOARD].range("B3").value = "Quý I/2026"
    return b


def _values(b: Book) -> dict:
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in b.wb.worksheets}


def _tables(b: Book) -> dict:
    return {(ws.title, t.displayName): t.ref for ws in b.wb.worksheets for t in ws.tables.values()}


# --- the double itself ---------------------------------------------------------------------------
def test_a_locked_cell_of_a_protected_sheet_refuses_writes_with_error_1004(book):
    """Excel: "The cell or chart you're trying to change is on a protected sheet" — run-time error
    1004 in VBA, a com_error whose scode is 0x800A03EC through xlwings. Cells are locked by default
    (Format Cells → Protection → Locked); Worksheet.Unprotect ignores the password of a sheet that has none."""
    sheet = book.sheets[ASSIGN]
    assert sheet.api.ProtectContents
    before = sheet.range("A2").value
    for write in (lambda: setattr(sheet.range("A2"), "value", "X"), lambda: sheet.range("A2:B3").clear_contents()):
        with pytest.raises(ComError) as err:
            write()
        assert err.value.excepinfo[5] == XL_ERROR_1004 and err.value.excel_error == 1004
    assert sheet.range("A2").value == before
    with pytest.raises(ComError):
        sheet.tables["PhanCong"].resize(sheet.range("A1:D3"))  # ListObject.Resize fails on a protected sheet
    sheet.ws["H5"].protection = Protection(locked=False)
    sheet.range("H5").value = "ô mở khóa"  # an unlocked cell takes the write
    sheet.api.Unprotect("bất kỳ")
    sheet.range("A2").value = "X"
    sheet.api.Protect(Password="mk", AllowFiltering=True)
    with pytest.raises(ComError):
        sheet.range("A2").value = "Y"
    with pytest.raises(ComError):
        sheet.api.Unprotect("sai")  # a password set must be given
    sheet.api.Unprotect("mk")
    assert not sheet.api.ProtectContents


def test_strings_are_converted_as_excel_converts_typed_input(book):
    """Excel turns what looks like a number or a date into one (Vietnamese Windows: day first),
    unless the cell is formatted as Text or the input starts with an apostrophe."""
    r = book.sheets["Nhật ký"].range
    r("H2").value = [["1", "01/6/2026", "1.1", "NV001", "'01", "=1+1", "TRUE", "31/2/2026"]]
    assert r("H2:O2").value == [1.0, datetime(2026, 6, 1), 1.1, "NV001", "01", "=1+1", True, "31/2/2026"]
    assert book.sheets["Nhật ký"].ws["M2"].data_type == "f"  # a formula (read as its text: no calculation here)
    book.sheets["Nhật ký"].ws["P2"].number_format = "@"
    r("P2").value = "01"
    assert r("P2").value == "01"


def test_a_table_keeps_its_range_until_resized_and_ranges_read_as_xlwings_reads_them(book):
    """Writing next to a ListObject through Range.Value does not grow it (only typing does, by
    AutoCorrect); ListObject.Resize does. xlwings: one cell a scalar, one row or column a flat list."""
    sheet = book.sheets["Căn cứ"]
    table = sheet.tables["CanCu"]
    ref = table.range.address
    n = table.range.shape[0]
    sheet.range(f"A{n + 1}").value = [["Căn cứ thêm"]]
    assert sheet.tables["CanCu"].range.address == ref
    table.resize(sheet.range(f"A1:A{n + 1}"))
    assert sheet.tables["CanCu"].range.address == f"$A$1:$A${n + 1}"
    book.save()
    assert load_workbook(book.path)["Căn cứ"].tables["CanCu"].ref == f"A1:A{n + 1}"
    tasks = book.sheets[TASKS]
    assert tasks.range("A1").value == "Mã NV"
    assert tasks.range("A1:C1").value == ["Mã NV", "STT", "Lĩnh vực"]
    assert tasks.range("A1:A3").value == ["Mã NV", "NV001", "NV002"]
    assert tasks.range("A1:B2").value == [["Mã NV", "STT"], ["NV001", "1"]]


def _formulas(b: Book, name: str = "Thống kê") -> list[list[str]]:
    api = b.sheets[name].api
    charts = [api.ChartObjects(i + 1).Chart for i in range(api.ChartObjects().Count)]
    return [[c.SeriesCollection(j + 1).Formula for j in range(c.SeriesCollection().Count)] for c in charts]


def test_chart_series_are_formulas_excel_checks(book):
    """Series.Formula reads =SERIES(name, categories, values, order) with absolute references;
    setting one that names no range of a sheet of the book fails (run-time error 1004), and so
    does changing a chart of a sheet protected with its objects."""
    stats = book.sheets["Thống kê"]
    chart = stats.api.ChartObjects(1).Chart
    first = chart.SeriesCollection(1)
    assert first.Formula == "=SERIES('Thống kê'!$C$7,'Thống kê'!$A$8:$A$15,'Thống kê'!$C$8:$C$15,1)"
    for bad in (
        "=SERIES('Không có'!$C$7,'Thống kê'!$A$8:$A$15,'Thống kê'!$C$8:$C$15,1)",
        "=SERIES('Thống kê'!$C$7,'Thống kê'!$A$8:$A$15,'Thống kê'!C8:ZZZZ1,1)",
        "=SUM(1,2)",
    ):
        with pytest.raises(ComError) as err:
            first.Formula = bad
        assert err.value.excel_error == 1004
    first.Formula = "=SERIES('Thống kê'!$C$7,'Thống kê'!$A$8:$A$16,'Thống kê'!$C$8:$C$16,1)"
    assert first.Formula.endswith("'Thống kê'!$C$8:$C$16,1)")
    stats.api.Protect(DrawingObjects=True)
    with pytest.raises(ComError):
        first.Formula = "=SERIES('Thống kê'!$C$7,'Thống kê'!$A$8:$A$15,'Thống kê'!$C$8:$C$15,1)"
    with pytest.raises(ComError):
        stats.api.ChartObjects(9)
    stats.api.Unprotect()
    book.save()
    saved = load_workbook(book.path, keep_vba=True)["Thống kê"]._charts[0].series[0]
    assert saved.val.numRef.f == "'Thống kê'!$C$8:$C$16"


# --- the buttons against it ------------------------------------------------------------------------
def _assert_master_shape(b: Book):
    """Tables exactly over their data, Phân công protected as the store protects it, codes and
    STT text, the secret very hidden and protected."""
    for ws in b.wb.worksheets:
        for t in ws.tables.values():
            last = max(r for r in range(1, ws.max_row + 1) if any(c.value is not None for c in ws[r]))
            assert t.ref.endswith(str(max(last, 2))), (ws.title, t.ref, last)
    p = b.wb[ASSIGN].protection
    assert p.sheet and not p.autoFilter and not p.sort and not p.formatColumns
    tasks = b.wb[TASKS]
    for row in tasks.iter_rows(min_row=2, max_col=2):
        assert all(c.value is None or isinstance(c.value, str) for c in row), [c.value for c in row]
    if "_ccpkh" in b.wb.sheetnames:
        assert b.wb["_ccpkh"].sheet_state == "veryHidden" and b.wb["_ccpkh"].protection.sheet


def test_check_writes_through_protection_and_resizes_tables(book):
    tasks = book.wb[TASKS]
    tasks.append([None, "1.1", "", "Việc thêm có STT 1.1", "Sở Nội vụ", "", "01/6/2026"])
    tasks.append([None, "01", "", "Việc thêm có STT 01", "Sở Tư pháp", "Sở Nội vụ", "Quý III/2026"])
    macros.check(book)
    a = book.app.alerts[-1]
    assert a["mode"] == "info", a["prompt"]
    assert "Đã cấp mã cho 2 nhiệm vụ mới: NV024, NV025." in a["prompt"]
    plan = read_plan(book.path)
    assert [(t.code, t.stt, t.deadline) for t in plan.tasks[-2:]] == [
        ("NV024", "1.1", "01/6/2026"),
        ("NV025", "01", "Quý III/2026"),
    ]
    assert plan.tasks[-2].due == date(2026, 6, 1)
    assert book.wb[TASKS].tables["DanhMucNhiemVu"].ref == "A1:J26"
    _assert_master_shape(book)
    assigned = [r[0].value for r in book.wb[ASSIGN].iter_rows(min_row=2, max_col=1) if r[0].value]
    assert "NV025" in assigned and book.wb[ASSIGN].tables["PhanCong"].ref == f"A1:D{len(assigned) + 1}"


def test_a_table_shrinks_with_its_data(book):
    tasks = book.wb[TASKS]
    for row in tasks.iter_rows(min_row=2, max_col=6):
        row[5].value = None  # no more Cơ quan phối hợp: Phân công shrinks
    before = book.wb[ASSIGN].max_row
    macros.check(book)
    assert book.app.alerts[-1]["mode"] == "info", book.app.alerts[-1]["prompt"]
    ws = book.wb[ASSIGN]
    n = len(Master.read(book.path).assignments)
    assert n + 1 < before and ws.tables["PhanCong"].ref == f"A1:D{n + 1}"
    assert all(c.value is None for row in ws.iter_rows(min_row=n + 2, max_col=4) for c in row)
    _assert_master_shape(book)


def test_import_generate_merge_status_and_documents_on_the_strict_double(book, tmp_path):
    from docx_builder import seed_004_docx
    from returns import fill

    book.sheets[DASHBOARD].range("B8").value = str(seed_004_docx(tmp_path / "nq66.docx"))
    macros.import_word(book)
    assert "Đã nhập 10 nhiệm vụ" in book.app.alerts[-1]["prompt"], book.app.alerts[-1]["prompt"]
    assert book.wb[TASKS].tables["DanhMucNhiemVu"].ref == "A1:J34"
    _assert_master_shape(book)
    macros.generate(book)
    assert "Đã tạo 16 phiếu" in book.app.alerts[-1]["prompt"], book.app.alerts[-1]["prompt"]
    received = tmp_path / "phieu_nhan"
    received.mkdir()
    f = received / "SNV.xlsx"
    shutil.copy(next((tmp_path / "phieu_gui").glob("SNV_*.xlsx")), f)
    fill(f, {"NV001": ("Hoàn thành", date(2026, 3, 20), "1.1", "", "")})
    macros.merge(book)
    assert "Đã tổng hợp 1/1 tệp" in book.app.alerts[-1]["prompt"], book.app.alerts[-1]["prompt"]
    row = next(r for r in read_records(book.path).summary if r.task == "NV001" and r.unit == "SNV")
    assert row.result == "1.1"  # text, not the number 1.1
    _assert_master_shape(book)
    book.sheets[DASHBOARD].range("B6").value = date(2026, 4, 10)
    macros.status(book)
    assert book.app.alerts[-1]["mode"] == "info" and book.sheets["Thống kê"].range("B2").value == "Quý I/2026"
    for entry in (macros.report_plan, macros.report_periodic, macros.report_reminder):
        entry(book)
        assert book.app.alerts[-1]["prompt"].startswith("Đã viết"), book.app.alerts[-1]["prompt"]


def _fail_on(monkeypatch, sheet_name: str, times: int = 1):
    """Excel refusing to write a sheet (a COM error 1004) the first `times` times it is written."""
    real = macros._write_sheet
    count = {"n": 0}

    def flaky(sheet, ws):
        if sheet.name == sheet_name and count["n"] < times:
            count["n"] += 1
            sheet.api.Unprotect(macros.SHEET_PASSWORD) if sheet.api.ProtectContents else None
            sheet.range("A2").value = "dở dang"  # written half way …
            sheet.api.Protect(Password=macros.SHEET_PASSWORD)
            raise ComError("Method 'Value' of object 'Range' failed")
        return real(sheet, ws)

    monkeypatch.setattr(macros, "_write_sheet", flaky)
    return count


def test_a_failure_half_way_puts_the_open_book_back(book, monkeypatch):
    tasks = book.wb[TASKS]
    tasks.append([None, "24", "", "Việc thêm", "Sở Nội vụ", "", "Quý III/2026"])
    book.save()
    before, tables, on_disk = _values(Book(book.path)), _tables(book), read_plan(book.path)
    _fail_on(monkeypatch, ASSIGN)  # written after the tasks: those must be put back too
    macros.check(book)
    a = book.app.alerts[-1]
    assert a["mode"] == "critical"
    assert a["prompt"].startswith("Không ghi được sheet 'Phân công' vào sổ đang mở (Method 'Value'")
    assert "Đã trả sổ về như trước khi bấm nút, chưa lưu gì." in a["prompt"]
    assert _values(book) == before and _tables(book) == tables
    assert book.wb[ASSIGN].protection.sheet
    assert read_plan(book.path) == on_disk
    monkeypatch.undo()
    macros.check(book)  # and the next press works
    assert "NV024" in book.app.alerts[-1]["prompt"]


def test_a_failure_that_cannot_be_undone_says_to_close_without_saving(book, monkeypatch):
    from ccpkh_excel.store.files import backups_of

    book.wb[TASKS].append([None, "24", "", "Việc thêm", "Sở Nội vụ", "", "Quý III/2026"])
    book.save()
    on_disk, saves = read_plan(book.path), book.saves
    _fail_on(monkeypatch, ASSIGN, times=2)
    macros.check(book)
    a = book.app.alerts[-1]["prompt"]
    backup = backups_of(book.path)[-1]
    assert "Hãy đóng sổ và chọn KHÔNG LƯU (Don't Save)" in a and f"sao_luu/{backup.name}" in a
    assert book.saves == saves + 1 and read_plan(book.path) == on_disk  # saved before the work only
    assert book.wb[ASSIGN].protection.sheet  # and protected again all the same


def test_an_older_master_gains_its_new_sheets_and_loses_them_again_on_failure(tmp_path, monkeypatch):
    from test_macros import SHIPPED

    path = tmp_path / "cu.xlsm"
    old = load_workbook(SHIPPED, keep_vba=True)
    del old["Thư điện tử"]
    old.save(path)
    b = Book(path)
    b.sheets[DASHBOARD].range("B3").value = "Quý I/2026"
    names = list(b.wb.sheetnames)
    _fail_on(monkeypatch, "Thống kê")
    macros.generate(b)
    assert "Đã trả sổ về như trước" in b.app.alerts[-1]["prompt"], b.app.alerts[-1]["prompt"]
    assert b.wb.sheetnames == names  # _ccpkh and Thư điện tử removed again
    monkeypatch.undo()
    macros.generate(b)
    assert "Đã tạo 16 phiếu" in b.app.alerts[-1]["prompt"]
    assert {"_ccpkh", "Thư điện tử"} <= set(b.wb.sheetnames)
    _assert_master_shape(b)


def test_a_busy_master_is_a_message(book, monkeypatch):
    monkeypatch.setattr(macros, "WAIT", 0)
    (book.path.parent / "phieu_nhan").mkdir()
    with Master.open(book.path):  # another run holds the master
        macros.merge(book)
    a = book.app.alerts[-1]
    assert a["mode"] == "critical" and "Traceback" not in a["prompt"], a["prompt"]


def test_an_excel_that_cannot_save_is_a_message(book, monkeypatch):
    def refuse(path=None, password=None):
        raise ComError("Document not saved. The document may be open, or an error may have been encountered.")

    monkeypatch.setattr(book, "save", refuse)
    macros.check(book)
    a = book.app.alerts[-1]
    assert a["mode"] == "critical" and a["prompt"].startswith("Excel không lưu được sổ (Document not saved.")


# --- masters that lost their macros ----------------------------------------------------------------
def _as_xlsx(src, target):
    wb = load_workbook(src)  # without keep_vba: what a save as .xlsx keeps
    wb.save(target)
    return target


def _cli():
    import click

    from ccpkh_excel.frontends.excel_cli import register

    @click.group()
    def group():
        pass

    return register(group)


def test_lost_macros_are_detected_and_restored_keeping_the_data(book, tmp_path):
    from click.testing import CliRunner

    from ccpkh_excel.store.sheets import MACRO_PARTS, macro_parts

    macros.generate(book)  # some records, a secret, Nhật ký lines
    book.sheets[DASHBOARD].range("B4").value = "gui_di"
    ws = book.wb["Cài đặt thư"]
    ws["B2"] = "smtp.thainguyen.gov.vn"
    book.wb.create_sheet("Ghi chú riêng")["A1"] = "ghi chú của văn thư"
    book.save()
    assert lost_macros(book.path) is None
    lost = _as_xlsx(book.path, tmp_path / "so_mat.xlsx")
    reason = lost_macros(lost)
    assert reason and 'ccpkh-excel macros "so_mat.xlsx"' in reason and "mất macro" in reason
    res = CliRunner().invoke(_cli(), ["macros", str(lost)])
    assert res.exit_code == 0, res.output
    new = tmp_path / "so_mat.xlsm"
    assert "Đã ghi" in res.output and lost.exists()
    assert macro_parts(new) == set(MACRO_PARTS) and lost_macros(new) is None
    assert read_plan(new) == read_plan(book.path)
    old_r, new_r = read_records(book.path), read_records(new)
    assert old_r.summary == new_r.summary and old_r.returns == new_r.returns
    assert new_r.log[: len(old_r.log)] == old_r.log and new_r.log[-1].action == "Dựng lại macro"
    assert Master.read(new).secret == Master.read(book.path).secret  # forms already sent still merge
    wb = load_workbook(new, keep_vba=True)
    assert wb[DASHBOARD]["B4"].value == "gui_di" and wb["Cài đặt thư"]["B2"].value == "smtp.thainguyen.gov.vn"
    assert wb["Ghi chú riêng"]["A1"].value == "ghi chú của văn thư"
    res = CliRunner().invoke(_cli(), ["macros", str(lost)])
    assert res.exit_code != 0 and "--force" in str(res.exception or res.output)


def test_an_xlsm_whose_vba_project_was_dropped_is_detected_and_restored_in_place(book, tmp_path):
    from click.testing import CliRunner

    from ccpkh_excel.store.files import backups_of

    broken = tmp_path / "hong.xlsm"
    with zipfile.ZipFile(book.path) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            if item.filename != "xl/vbaProject.bin":
                zout.writestr(item, zin.read(item.filename))
    assert "phần macro (VBA)" in lost_macros(broken)
    res = CliRunner().invoke(_cli(), ["macros", str(broken)])
    assert res.exit_code == 0, res.output
    assert lost_macros(broken) is None and len(backups_of(broken)) == 1
    assert read_plan(broken) == read_plan(book.path)
    res = CliRunner().invoke(_cli(), ["macros", str(broken)])
    assert res.exit_code != 0 and "không cần dựng lại" in str(res.exception)


@pytest.mark.libreoffice
def test_a_master_saved_by_libreoffice_as_xlsx_gets_its_buttons_back(tmp_path, built_samples):
    from click.testing import CliRunner

    from ccpkh_excel.features.documents.rendering import convert

    src = shutil.copy(built_samples[".xlsm"], tmp_path / "so.xlsm")
    xlsx = convert(src, "xlsx", tmp_path / "lo")
    assert "mất macro" in lost_macros(xlsx)
    res = CliRunner().invoke(_cli(), ["macros", str(xlsx), "--out", str(tmp_path / "lai.xlsm")])
    assert res.exit_code == 0, res.output
    assert lost_macros(tmp_path / "lai.xlsm") is None
    assert read_plan(tmp_path / "lai.xlsm").tasks == read_plan(src).tasks


def test_after_an_import_the_open_books_charts_point_at_the_new_figures(book, tmp_path):
    """Excel keeps a chart's ranges when cells are written around them: after 'Nhập từ Word'
    adds fields and units, Thống kê has more rows, and the open book's charts must be pointed at
    the ranges the store's new file uses — the same import run on a copy gives those."""
    from docx_builder import seed_004_docx

    import ccpkh_excel as api

    src = seed_004_docx(tmp_path / "nq66.docx")
    copy = shutil.copy(book.path, tmp_path / "ban_sao.xlsm")
    with Master.open(copy) as m:
        api.import_plan(src, m)
    wanted = [macros._series_formulas(c) for c in load_workbook(copy, keep_vba=True)["Thống kê"]._charts]
    before = _formulas(book)
    assert before != wanted  # the figures moved
    book.sheets[DASHBOARD].range("B8").value = str(src)
    macros.import_word(book)
    assert "Đã nhập 10 nhiệm vụ" in book.app.alerts[-1]["prompt"], book.app.alerts[-1]["prompt"]
    assert _formulas(book) == wanted
    stats = book.sheets["Thống kê"].api
    for i in range(stats.ChartObjects().Count):
        for values in stats.ChartObjects(i + 1).Chart.referenced():
            assert values and all(v is not None for v in values), values  # every point a cell with a figure
    book.save()
    assert _formulas(Book(book.path)) == wanted  # as Excel saves it
