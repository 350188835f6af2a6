"""The master workbook as a person opens it: exact sheets and headers, real tables,
dates, print setup; stable Mã NV; check; never half-written."""

from datetime import datetime
from pathlib import Path

import pytest
from docx_builder import seed_000_docx
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from ccpkh_excel import check_master, read_assignments, read_plan, write_plan
from ccpkh_excel.domain.plan import DUPLICATE, NO_EMAIL, NO_LEAD, UNRESOLVED, Task, check_plan, update_tasks
from ccpkh_excel.domain.sample import sample_plan
from ccpkh_excel.errors import MasterError, MasterLockedError
from ccpkh_excel.features.importing import import_plan
from ccpkh_excel.resources import sample_master
from ccpkh_excel.store import sheets as sheets_mod

SHEETS = {
    "Thông tin chung": ["Mục", "Giá trị"],
    "Đơn vị": ["Mã đơn vị", "Tên đơn vị", "Tên khác", "Nhóm", "Email"],
    "Danh mục nhiệm vụ": [
        "Mã NV",
        "STT",
        "Lĩnh vực",
        "Nội dung công việc",
        "Cơ quan chủ trì",
        "Cơ quan phối hợp",
        "Thời gian hoàn thành",
        "Hạn hoàn thành",
        "Sản phẩm",
        "Ghi chú",
    ],
    "Phân công": ["Mã NV", "Mã đơn vị", "Tên đơn vị", "Vai trò"],
}
INFO_ITEMS = [
    "Cơ quan chủ quản",
    "Cơ quan ban hành",
    "Địa danh",
    "Số ký hiệu",
    "Ngày ban hành",
    "Tên loại",
    "Trích yếu",
    "Năm",
    "Quyền hạn ký",
    "Chức vụ người ký",
    "Người ký",
    "Nơi nhận",
    "Đầu mối liên hệ",
    "Mã kế hoạch",
    "Lời dẫn",
    "Đoạn kết",
]


@pytest.fixture
def sample(sample_master_copy):
    return sample_master_copy


def test_sheets_and_headers_exactly(sample):
    wb = load_workbook(sample)
    assert wb.sheetnames[:4] == list(SHEETS)
    assert wb.sheetnames[4:] == [
        "Căn cứ",
        "Mục đích, yêu cầu",
        "Nội dung",
        "Tổ chức thực hiện",
        "Tổng hợp",
        "Theo dõi nộp",
        "Nhiệm vụ phát sinh",
        "Nhật ký",
        "Thư điện tử",
        "Cài đặt thư",
        "Thống kê",
        "_ccpkh",  # very hidden: the plan's secret that signs its forms
        "Đánh giá",  # what the clerk writes for the BÁO CÁO, section by section
    ]
    assert wb["_ccpkh"].sheet_state == "veryHidden"
    for name, headers in SHEETS.items():
        ws = wb[name]
        assert [c.value for c in ws[1]][: len(headers)] == headers
    info = wb["Thông tin chung"]
    assert [info.cell(row=r, column=1).value for r in range(2, 18)] == INFO_ITEMS


def test_each_sheet_behaves_like_excel(sample):
    wb = load_workbook(sample)
    for name, headers in SHEETS.items():
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        (table,) = ws.tables.values()
        assert table.ref.startswith("A1:") and table.ref.split(":")[1][0] == chr(ord("A") + len(headers) - 1)
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.print_title_rows == "$1:$1"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.cell(row=2, column=1).alignment.wrap_text
        assert all(ws.column_dimensions[chr(65 + i)].width >= 6 for i in range(len(headers)))
    tasks = wb["Danh mục nhiệm vụ"]
    assert tasks.tables["DanhMucNhiemVu"].ref == "A1:J24"
    due = tasks["H2"]
    assert isinstance(due.value, datetime) and due.value.date().isoformat() == "2026-03-31"
    assert due.number_format == "dd/mm/yyyy"
    assert any("H2" in str(dv.sqref) and dv.type == "date" for dv in tasks.data_validations.dataValidation)
    assert wb["Phân công"].protection.sheet
    assert wb["Thông tin chung"]["B6"].value.date().isoformat() == "2025-12-27"


def test_a_second_reader_sees_the_same(sample):
    wb = CalamineWorkbook.from_path(str(sample))
    assert wb.sheet_names[:4] == list(SHEETS)
    rows = wb.get_sheet_by_name("Danh mục nhiệm vụ").to_python()
    assert rows[0] == SHEETS["Danh mục nhiệm vụ"]
    assert len(rows) == 24 and rows[23][0] == "NV023"


def test_sample_plan_round_trips_and_is_clean(sample):
    plan = read_plan(sample)
    ref = sample_plan()
    assert plan.tasks == ref.tasks and plan.units == ref.units and plan.info == ref.info
    assert (plan.basis, plan.purposes, plan.content, plan.organization) == (
        ref.basis,
        ref.purposes,
        ref.content,
        ref.organization,
    )
    assert len(plan.tasks) == 23
    assert check_plan(plan) == []
    roles = {(a.task, a.unit, a.role) for a in read_assignments(sample)}
    assert ("NV005", "STP", "Phối hợp") in roles and ("NV005", "STP", "Chủ trì") not in roles
    assert ("NV007", "XDT", "Chủ trì") in roles


def test_shipped_sample_workbook_is_current():
    shipped = read_plan(sample_master())
    ref = sample_plan()
    assert shipped.tasks == ref.tasks and shipped.units == ref.units and shipped.info == ref.info


def test_codes_are_stable_across_reimport_reorder_and_insert(tmp_path, units_master):
    import_plan(seed_000_docx(tmp_path / "a.docx"), units_master)
    before = {t.content: t.code for t in read_plan(units_master).tasks}
    plan = read_plan(units_master)
    # the plan is re-issued: rows reordered, one inserted, one reworded slightly
    incoming = [Task(stt=t.stt, content=t.content, lead=t.lead, coop=t.coop, deadline=t.deadline) for t in plan.tasks]
    incoming.reverse()
    incoming.insert(3, Task(stt="3a", content="Nhiệm vụ mới bổ sung", lead="Sở Nội vụ", deadline="Quý IV/2026"))
    reworded = incoming[0].content.replace("Hướng dẫn, hỗ trợ", "Hướng dẫn và hỗ trợ")
    incoming[0] = Task(stt="23", content=reworded, lead=incoming[0].lead, deadline="Năm 2026")
    result = update_tasks(plan.tasks, incoming)
    codes = {t.content: t.code for t in result.tasks}
    for content, code in before.items():
        if "Hướng dẫn, hỗ trợ" not in content:
            assert codes[content] == code
    assert codes[reworded] == "NV023"
    assert codes["Nhiệm vụ mới bổ sung"] == "NV024"
    assert result.added == ["NV024"]


def test_reimport_same_file_changes_nothing(tmp_path, units_master):
    src = seed_000_docx(tmp_path / "a.docx")
    import_plan(src, units_master)
    first = read_plan(units_master)
    report = import_plan(src, units_master)
    assert report.update.added == [] and len(report.update.unchanged) == 23
    assert read_plan(units_master).tasks == first.tasks


def test_tasks_kept_when_missing_from_source(tmp_path, sample):
    from docx_builder import add_table, new_document
    from seeds import HEADER_000, SEED_000

    doc = new_document("nfc")
    add_table(doc, HEADER_000, [r[:5] for r in SEED_000[:5]], "nfc")
    doc.save(tmp_path / "part.docx")
    report = import_plan(tmp_path / "part.docx", sample)
    assert len(report.update.kept) == 18
    assert len(read_plan(sample).tasks) == 23


def test_check_numbers_new_rows_and_fills_dates(sample):
    wb = load_workbook(sample)
    ws = wb["Danh mục nhiệm vụ"]
    ws.append([None, "24", "", "Nhiệm vụ do văn thư thêm tay", "Sở Nội vụ", "", "Quý III/2026", None, "", ""])
    wb.save(sample)
    report = check_master(sample)
    assert report.saved and report.exit_code == 0
    plan = read_plan(sample)
    added = plan.tasks[-1]
    assert added.code == "NV024" and added.due.isoformat() == "2026-09-30"
    assert {a.task for a in read_assignments(sample)} >= {"NV024"}


def test_check_reports_what_to_fix(sample):
    plan = read_plan(sample)
    plan.tasks[0].lead = "Sở Kế hoạch và Đầu tư"
    plan.tasks[1].lead = ""
    plan.tasks[2].deadline, plan.tasks[2].due = "Khi có chỉ đạo mới", None
    plan.tasks[3].content = plan.tasks[4].content
    plan.units[0].email = ""
    write_plan(plan, sample)
    report = check_master(sample)
    kinds = [p.kind for p in report.problems]
    assert report.exit_code == 1
    assert UNRESOLVED in kinds and NO_LEAD in kinds and DUPLICATE in kinds and NO_EMAIL in kinds
    assert any("Khi có chỉ đạo mới" in p.message for p in report.problems)
    msg = next(p.message for p in report.problems if p.kind == UNRESOLVED)
    assert msg.startswith("NV001 (STT 1): cơ quan chủ trì 'Sở Kế hoạch và Đầu tư' không có trong sheet Đơn vị.")


def test_clerk_typed_due_date_settles_an_unknown_form(sample):
    plan = read_plan(sample)
    plan.tasks[2].deadline = "Khi có chỉ đạo mới"
    write_plan(plan, sample)
    assert check_master(sample).exit_code == 0  # the clerk kept a date by hand


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    plan = sample_plan()
    plan.tasks[0].content = '=HYPERLINK("http://x")'
    path = tmp_path / "m.xlsx"
    write_plan(plan, path)
    ws = load_workbook(path)["Danh mục nhiệm vụ"]
    assert ws["D2"].data_type == "s"
    assert read_plan(path).tasks[0].content == plan.tasks[0].content


def test_failed_save_leaves_master_intact(sample, monkeypatch):
    before = sample.read_bytes()

    def broken_save(self, target):  # as openpyxl: a file name or an open file
        if hasattr(target, "write"):
            target.write(b"PK\x03\x04 half a workbook")
        else:
            Path(target).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError("đĩa đầy")

    monkeypatch.setattr(sheets_mod.Workbook, "save", broken_save)
    plan = read_plan(sample)
    plan.tasks[0].content = "thay đổi"
    with pytest.raises(MasterError, match="không ghi được sổ .*sổ giữ nguyên như trước"):
        write_plan(plan, sample)
    assert sample.read_bytes() == before
    assert [p.name for p in sample.parent.iterdir()] == [sample.name]


@pytest.mark.parametrize("lock", ["~$mau.xlsx", "~$u.xlsx", ".~lock.mau.xlsx#"])
def test_refuses_a_master_open_in_excel_or_libreoffice(sample, lock):
    (sample.parent / lock).write_text("x")
    before = sample.read_bytes()
    with pytest.raises(MasterLockedError, match="đang được mở"):
        write_plan(read_plan(sample), sample)
    assert sample.read_bytes() == before


def test_not_a_master(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(MasterError, match="Tệp other.xlsx: thiếu sheet 'Thông tin chung'"):
        read_plan(path)


def test_shipped_blank_workbook_is_a_valid_empty_master():
    from ccpkh_excel.resources import workbooks_dir

    plan = read_plan(workbooks_dir() / "so_theo_doi_trong.xlsx")
    assert plan.tasks == [] and plan.units == []
    assert list(plan.info) == INFO_ITEMS
    assert plan.info["Mã kế hoạch"].startswith("KH-")
