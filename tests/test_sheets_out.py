"""Report workbooks: names, layout, protection, validation, metadata, prefill."""

import csv
import re
import zipfile
from datetime import date

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
    (cf,) = list(ws.conditional_formatting)
    assert str(cf.sqref) == "A8:J29"
    assert "TODAY()" in cf.rules[0].formula[0]
    assert ws.freeze_panes == "A8"
    assert ws.print_title_rows == "$7:$7"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws["C8"].alignment.wrap_text
    assert ws.column_dimensions["K"].hidden
    assert "HƯỚNG DẪN" in wb["Hướng dẫn"]["A1"].value


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
