"""A DANH MỤC someone typed in Excel: title rows above, merged header and cells, group
rows, dates typed as dates, TCVN3 by font or by text alone."""

from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from ccpkh_excel import read_plan
from ccpkh_excel.domain.vntext import unicode_to_tcvn3
from ccpkh_excel.features.importing import import_plan, read_source


def typed(path, tcvn3_font=False, tcvn3_plain=False):
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục"
    rows = [
        ["DANH MỤC NHIỆM VỤ TRỌNG TÂM NĂM 2026"],
        [],
        ["STT", "Nội dung nhiệm vụ", "Đơn vị thực hiện", None, "Thời hạn", "Sản phẩm"],
        [None, None, "Chủ trì", "Phối hợp", None, None],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
        ["I", "Cải cách thể chế"],
        [
            "1",
            "Rà soát văn bản quy phạm pháp luật",
            "Sở Tư pháp",
            "Các sở, ban, ngành",
            datetime(2026, 3, 15),
            "Báo cáo rà soát",
        ],
        ["2", "Kiểm tra công tác thi hành pháp luật", None, "UBND cấp xã", "Quý III/2026", "Kết luận kiểm tra"],
        ["II", "Cải cách thủ tục hành chính"],
        [
            "1",
            "Công bố danh mục thủ tục hành chính",
            "Văn phòng UBND tỉnh",
            "Sở Nội vụ\nSở Tư pháp",
            "Trước ngày 25/4/2026",
            "Quyết định công bố",
        ],
    ]
    for r in rows:
        ws.append(r)
    ws.merge_cells("A1:F1")
    ws.merge_cells("C3:D3")
    for col in "ABEF":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("B6:F6")
    ws.merge_cells("C7:C8")  # one lead for two tasks
    if tcvn3_font or tcvn3_plain:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = unicode_to_tcvn3(cell.value)[0]
                    cell.font = Font(name=".VnTime" if tcvn3_font else "Arial")
    wb.save(path)
    return path


def _check(plan):
    t = plan.tasks
    assert [x.stt for x in t] == ["1", "2", "1"]
    assert [x.field.lower() for x in t] == ["cải cách thể chế", "cải cách thể chế", "cải cách thủ tục hành chính"]
    assert t[0].deadline == "15/03/2026" and t[0].due.isoformat() == "2026-03-15"
    assert t[1].lead.lower() == "sở tư pháp"  # vertically merged lead reaches the second task
    assert t[2].coop.lower() == "sở nội vụ; sở tư pháp"
    assert t[2].due.isoformat() == "2026-04-24"
    assert t[0].product.lower() == "báo cáo rà soát"


def test_typed_xlsx(tmp_path, units_master):
    report = import_plan(typed(tmp_path / "pl.xlsx"), units_master)
    assert report.exit_code == 0, [p.message for p in report.problems]
    _check(read_plan(units_master))


def test_typed_xlsx_tcvn3_font(tmp_path, units_master):
    src = typed(tmp_path / "pl.xlsx", tcvn3_font=True)
    assert read_source(src).legacy == "TCVN3"
    import_plan(src, units_master)
    _check(read_plan(units_master))


def test_typed_xlsx_tcvn3_detected_from_text(tmp_path, units_master):
    src = typed(tmp_path / "pl.xlsx", tcvn3_plain=True)
    assert read_source(src).legacy == "TCVN3"
    report = import_plan(src, units_master)
    assert report.exit_code == 0, [p.message for p in report.problems]
    _check(read_plan(units_master))
