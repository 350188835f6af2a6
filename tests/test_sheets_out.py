"""Report workbooks: names, layout, protection, validation, metadata, prefill."""

import csv
import re
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from returns import fill

from ccpkh_excel.features.forms import FORM_HEADERS, STATUSES, generate
from ccpkh_excel.features.merging import merge_returns

HEADERS = [
    "Mã NV",
    "STT",
    "Nội dung công việc",
    "Vai trò",
    "Thời gian hoàn thành",
    "Trạng thái",
    "Ngày hoàn thành",
    "Kết quả thực hiện",
    "Khó khăn, vướng mắc",
    "Đề xuất, kiến nghị",
]


def test_one_file_per_unit_with_tasks_ascii_names(cycle):
    master, report = cycle
    names = sorted(f.file.name for f in report.files)
    assert len(names) == 16  # 18 units, two of which have no task
    assert "SNV_So_Noi_vu_Quy_I_2026.xlsx" in names
    assert "VPUBND_Van_phong_Uy_ban_nhan_dan_tinh_Quy_I_2026.xlsx" in names
    assert all(re.fullmatch(r"[A-Za-z0-9_]+\.xlsx", n) for n in names)
    assert not any(f.code in ("BPTTH", "TTTT") for f in report.files)


def test_manifest(cycle):
    _, report = cycle
    with open(report.manifest, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:5] == ["Mã đơn vị", "Tên đơn vị", "Email", "Tệp", "Số nhiệm vụ"]
    snv = next(r for r in rows if r[0] == "SNV")
    assert snv[1:5] == ["Sở Nội vụ", "snv@thainguyen.example", "SNV_So_Noi_vu_Quy_I_2026.xlsx", "22"]
    assert len(rows) == 17


def test_report_sheet(cycle):
    _, report = cycle
    snv = next(f for f in report.files if f.code == "SNV")
    wb = load_workbook(snv.file)
    assert wb.sheetnames == ["Báo cáo", "Hướng dẫn", "_ccpkh"]
    assert wb["_ccpkh"].sheet_state == "veryHidden"
    ws = wb["Báo cáo"]
    assert list(FORM_HEADERS) == HEADERS
    assert [c.value for c in ws[7]][:10] == HEADERS
    assert ws["A3"].value == "Đơn vị báo cáo: Sở Nội vụ (mã SNV)"
    assert re.fullmatch(r"Kỳ báo cáo: Quý I/2026 +— +Hạn gửi lại: \d\d/\d\d/\d{4}", ws["A4"].value)
    rows = [[c.value for c in r][:5] for r in ws.iter_rows(min_row=8, max_row=8 + 21)]
    assert rows[0] == ["NV001", "1", rows[0][2], "Chủ trì", "Quý I/2026"]
    assert {r[3] for r in rows} == {"Chủ trì", "Phối hợp"}
    assert ws.protection.sheet
    for col in "ABCDE":
        assert ws[f"{col}8"].protection.locked
    for col in "FGHIJ":
        assert ws[f"{col}8"].protection.locked is False
    assert ws["A1"].protection.locked
    dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    status = next(dv for k, dv in dvs.items() if k.startswith("F8:"))
    assert status.type == "list" and status.formula1 == '"' + ",".join(STATUSES) + '"'
    assert status.prompt and "Chọn" in status.prompt
    for col in "HIJ":
        hint = next(dv for k, dv in dvs.items() if k.startswith(f"{col}8:"))
        assert hint.showInputMessage and hint.prompt and str(hint.sqref) == f"{col}8:{col}41"
    when = next(dv for k, dv in dvs.items() if k.startswith("G8:"))
    assert when.type == "date" and when.formula1 == "DATE(2025,1,1)" and when.formula2 == "DATE(2028,12,31)"
    rules = {str(cf.sqref): cf.rules[0] for cf in ws.conditional_formatting}
    assert set(rules) == {"A8:E29", "F8:J29"}  # every task row
    assert all("TODAY()" in r.formula[0] for r in rules.values())
    assert ws.freeze_panes == "A8"
    assert ws.print_title_rows == "$7:$7"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws["C8"].alignment.wrap_text
    assert ws.column_dimensions["K"].hidden
    assert "HƯỚNG DẪN" in wb["Hướng dẫn"]["A1"].value


def test_overdue_rows_keep_the_input_cells_recognisable(cycle):
    """The overdue warning colours the locked cells; the input cells keep their yellow fill
    (red text and a red frame instead), so the warning never hides where to type."""
    _, report = cycle
    wb = load_workbook(next(f for f in report.files if f.code == "SNV").file)
    ws = wb["Báo cáo"]
    rules = {str(cf.sqref): cf.rules[0] for cf in ws.conditional_formatting}
    locked, inputs = rules["A8:E29"], rules["F8:J29"]
    assert locked.dxf.fill is not None and locked.dxf.font.color.rgb.endswith("9C0006")
    assert inputs.dxf.fill is None  # the input fill stays
    assert inputs.dxf.font.color.rgb.endswith("9C0006") and inputs.dxf.border.left.style == "thin"
    for col in "FGHIJ":
        assert ws[f"{col}8"].fill.fgColor.rgb.endswith("FFF2CC")
    with zipfile.ZipFile(next(f for f in report.files if f.code == "SNV").file) as z:
        styles = z.read("xl/styles.xml").decode()
    dxfs = re.search(r"<dxfs[^>]*>(.*?)</dxfs>", styles, re.S).group(1)
    assert dxfs.count("<fill>") == 1  # one rule fills (the locked cells), the other does not


def test_guide_prints_on_a4_portrait_without_cut_columns(cycle):
    _, report = cycle
    wb = load_workbook(next(f for f in report.files if f.code == "SNV").file)
    guide = wb["Hướng dẫn"]
    setup = guide.page_setup
    assert int(setup.paperSize) == 9 and setup.orientation == "portrait"
    assert guide.sheet_properties.pageSetUpPr.fitToPage
    assert setup.fitToWidth == 1 and setup.fitToHeight == 0  # one page wide, as many pages down as needed
    width = guide.column_dimensions["A"].width
    assert width <= 75  # A4 portrait minus margins, even with LibreOffice's wider fallback font
    for row in guide.iter_rows(min_row=1, max_row=guide.max_row):
        cell = row[0]
        if cell.value:
            assert cell.alignment.wrap_text, cell.coordinate
            lines = -(-len(cell.value) // int(width * 0.9))  # at most ~63 letters a line in Excel
            assert guide.row_dimensions[cell.row].height >= 15 * lines, cell.coordinate
    assert guide.max_column == 1


@pytest.mark.libreoffice
def test_guide_printed_by_libreoffice_keeps_every_word_on_the_page(cycle, tmp_path):
    import subprocess

    from test_formula_values import make_renders

    from ccpkh_excel.features.documents.rendering import to_pdf

    _, report = cycle
    form = next(f for f in report.files if f.code == "SNV").file
    pdf = to_pdf(make_renders().only_sheet(form, "Hướng dẫn", tmp_path / "huong_dan.xlsx"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    w, h = map(float, re.search(r"Page size: +([\d.]+) x ([\d.]+)", info).groups())
    assert w < h and round(w) == 595  # A4 portrait
    box = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', box))
    assert right < w - 0.3 * 72  # inside the right margin: no word cut by the page edge
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "kiến nghị." in text and "không chép nội dung sang tệp khác." in text


def test_metadata_travels_in_the_file(cycle):
    _, report = cycle
    f = next(f for f in report.files if f.code == "SKHCN").file
    with zipfile.ZipFile(f) as z:
        custom = z.read("docProps/custom.xml").decode()
    for key, value in (("ccpkh_unit", "SKHCN"), ("ccpkh_period", "Quý I/2026"), ("ccpkh_plan", "KH-TN2026-188")):
        assert re.search(rf'name="{key}"><vt:lpwstr>{re.escape(value)}</vt:lpwstr>', custom)
    meta = dict((r[0], r[1]) for r in CalamineWorkbook.from_path(str(f)).get_sheet_by_name("_ccpkh").to_python())
    # readers that trust the sheet's dimension (openpyxl read-only) see both columns
    ro = load_workbook(f, read_only=True)
    assert dict(ro["_ccpkh"].iter_rows(values_only=True, max_row=4)) == {
        k: meta[k] for k in ("format", "version", "plan", "unit")
    }
    assert ro["Báo cáo"].max_column == 11
    assert meta["unit"] == "SKHCN" and meta["period"] == "Quý I/2026" and meta["version"] == "2"
    assert re.fullmatch(r"[0-9a-f]{64}", meta["signature"])  # HMAC-SHA256, see test_signed_returns.py
    assert "ccpkh_signature" in custom


def test_identity_never_comes_from_the_file_name(cycle, tmp_path):
    master, report = cycle
    f = next(f for f in report.files if f.code == "SNV").file
    renamed = f.rename(tmp_path / "STP_So_Tu_phap_Quy_I_2026.xlsx")
    rep = merge_returns(master, [renamed])
    assert rep.files[0].unit == "SNV"


def test_unit_filter_and_unknown_unit(tmp_path, sample_master_copy):
    import pytest

    from ccpkh_excel.errors import CcpkhError

    master = sample_master_copy
    report = generate(master, "Quý II/2026", tmp_path / "out", units=["SNV", "TTTT"])
    assert [f.code for f in report.files] == ["SNV"] and report.skipped == ["TTTT"]
    title = load_workbook(report.files[0].file)["Báo cáo"]["A4"].value
    assert title.endswith("Hạn gửi lại: 05/07/2026")  # by default 5 days after the period
    with pytest.raises(CcpkhError, match="Không có đơn vị mã XYZ"):
        generate(master, "Quý II/2026", tmp_path / "out", units=["XYZ"])
    with pytest.raises(CcpkhError, match="Kỳ báo cáo 'Quý 5/2026' không hợp lệ"):
        generate(master, "Quý 5/2026", tmp_path / "out")


def test_last_period_is_prefilled(cycle, tmp_path):
    master, report = cycle
    snv = next(f for f in report.files if f.code == "SNV").file
    fill(
        snv,
        {
            "NV001": ("Hoàn thành", date(2026, 3, 20), "Đã ban hành KH số 12/KH-SNV", "", ""),
            "NV002": ("Đang thực hiện", None, "Đã trình dự thảo", "Chờ góp ý", ""),
        },
    )
    merge_returns(master, [snv])
    q2 = generate(master, "Quý II/2026", tmp_path / "q2", units=["SNV"])
    ws = load_workbook(q2.files[0].file)["Báo cáo"]
    assert [c.value for c in ws[8]][5:8] == ["Hoàn thành", ws["G8"].value, "Đã ban hành KH số 12/KH-SNV"]
    assert ws["G8"].value.date() == date(2026, 3, 20)
    assert [c.value for c in ws[9]][5:9] == ["Đang thực hiện", None, "Đã trình dự thảo", "Chờ góp ý"]
