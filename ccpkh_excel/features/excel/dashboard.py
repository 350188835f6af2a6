"""The macro-enabled master (.xlsm): a "Bảng điều khiển" sheet with buttons and settings,
the VBA project built from workbooks/vba/ (see `vba`), and xlwings' settings sheet.

xlsxwriter lays out the dashboard, its form buttons and the VBA project; `master.write_plan`
then adds the plan's sheets with openpyxl (keep_vba), which keeps the VBA project and the
buttons' drawing; `write_plan` refuses to save a workbook that lost them.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

DASHBOARD = "Bảng điều khiển"
XLWINGS_CONF = "xlwings.conf"
# settings: (row, label, default, help)
SETTINGS = {
    "period": (3, "Kỳ báo cáo", None, "Chọn kỳ: Quý I … Quý IV, 6 tháng đầu năm, Năm."),
    "sent": (
        4,
        "Thư mục phiếu gửi đi",
        "phieu_gui",
        "Nơi ghi phiếu báo cáo cho các đơn vị (đường dẫn đầy đủ, hoặc tên thư mục cạnh sổ này).",
    ),
    "received": (5, "Thư mục phiếu nhận về", "phieu_nhan", "Nơi để các phiếu đơn vị gửi lại trước khi tổng hợp."),
    "as_of": (
        6,
        "Ngày tính trạng thái",
        None,
        "Để trống: tính đến hôm nay. Dùng cho Thống kê, Xem tình hình, Báo cáo.",
    ),
    "documents": (7, "Thư mục văn bản", "van_ban", "Nơi ghi Kế hoạch, Báo cáo, công văn."),
    "chosen": (8, "Tệp vừa chọn", "", "Tệp chọn khi bấm 'Nhập từ Word' (tự điền)."),
}
# button: (Sub in BangDieuKhien.bas, caption, help)
BUTTONS = [
    (
        "KiemTraDanhMuc",
        "Kiểm tra danh mục",
        "Soát tên đơn vị, thời hạn, nhiệm vụ trùng, thiếu chủ trì, thiếu email; cấp mã, dựng lại Phân công.",
    ),
    (
        "NhapTuWord",
        "Nhập từ Word",
        "Chọn văn bản kế hoạch (.docx) hoặc bảng (.xlsx) có danh mục nhiệm vụ để nhập vào sổ.",
    ),
    (
        "TaoPhieu",
        "Tạo phiếu cho đơn vị",
        "Tạo phiếu báo cáo kỳ đã chọn cho từng đơn vị vào thư mục phiếu gửi đi, kèm danh sách gửi.",
    ),
    (
        "TongHopPhieu",
        "Tổng hợp phiếu",
        "Tổng hợp các phiếu trong thư mục phiếu nhận về vào Tổng hợp, Theo dõi nộp, Thống kê.",
    ),
    (
        "XemTinhHinh",
        "Xem tình hình",
        "Mở sheet Thống kê cho kỳ và ngày đã chọn; báo đơn vị chưa nộp, nhiệm vụ quá hạn.",
    ),
    ("XuatKeHoach", "Xuất Kế hoạch", "Viết văn bản Kế hoạch kèm Danh mục nhiệm vụ (Word) vào thư mục văn bản."),
    ("XuatBaoCao", "Xuất Báo cáo", "Viết Báo cáo kết quả kỳ đã chọn (Word) vào thư mục văn bản."),
    (
        "XuatCongVanDonDoc",
        "Xuất công văn đôn đốc",
        "Viết công văn đôn đốc đơn vị chưa nộp phiếu hoặc có nhiệm vụ quá hạn.",
    ),
    (
        "GuiPhieuQuaThu",
        "Gửi phiếu qua thư",
        "Gửi thư cho từng đơn vị, kèm phiếu kỳ đã chọn của đơn vị (tạo phiếu nếu cần); không gửi lại đơn vị đã "
        "được gửi. Máy chủ thư ở sheet Cài đặt thư.",
    ),
    (
        "NhanPhieuTuHopThu",
        "Nhận phiếu từ hộp thư",
        "Lấy phiếu các đơn vị gửi về hộp thư và tổng hợp như nút Tổng hợp phiếu; thư đã xử lý được đánh dấu.",
    ),
    (
        "NhacHanDonDoc",
        "Nhắc hạn, đôn đốc",
        "Gửi thư nhắc đơn vị chưa nộp phiếu kỳ đã chọn; quá hạn thì kèm công văn đôn đốc. Mỗi đơn vị nhiều "
        "nhất một thư mỗi ngày.",
    ),
]
# the buttons on the first screen: one column of buttons per group, beside the settings
GROUPS = [
    ("Danh mục nhiệm vụ", ["KiemTraDanhMuc", "NhapTuWord"]),
    ("Phiếu báo cáo (tệp)", ["TaoPhieu", "TongHopPhieu", "XemTinhHinh"]),
    ("Thư điện tử", ["GuiPhieuQuaThu", "NhanPhieuTuHopThu", "NhacHanDonDoc"]),
    ("Văn bản", ["XuatKeHoach", "XuatBaoCao", "XuatCongVanDonDoc"]),
]
# the layout (see tests/test_dashboard.py: all of it on the first screen at 1366×768, 100 %)
COLUMN_WIDTHS = {"A": 24, "B": 30, "C": 18, "D": 2, "E": 25, "F": 25, "G": 25, "H": 25}  # characters
FIRST_GROUP_COL = 4  # E
HEADER_ROW = 2  # "Cài đặt" and the groups' titles
SETTING_ROW_HEIGHT = 25.5  # points: 34 px at 96 dpi
BUTTON = {"width": 172, "height": 56, "x_offset": 4, "gap": 8}  # pixels
PICKER = {"width": 124, "height": 26, "x_offset": 3, "y_offset": 4}
NOTE_ROW = 9
LEGEND_ROW = 11  # below the first screen: what each button and setting does
# xlwings.conf, column A the key, B its value (no empty value: xlwings reads an empty one as set)
XLWINGS_SETTINGS = [("Interpreter_Win", "python")]
# folder pickers beside the settings that hold a folder: (setting, Sub)
PICKERS = {"sent": "ChonThuMucPhieuGui", "received": "ChonThuMucPhieuNhan", "documents": "ChonThuMucVanBan"}


def period_choices(year: int) -> list[str]:
    return [f"Quý {r}/{year}" for r in ("I", "II", "III", "IV")] + [f"6 tháng đầu năm {year}", f"Năm {year}"]


def base_workbook(year: int | None = None) -> bytes:
    """An .xlsm holding only the dashboard, xlwings' settings sheet and the VBA project."""
    import xlsxwriter

    from ccpkh_excel.features.excel.vba import build_vba_project

    year = year or date.today().year
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(io.BytesIO(build_vba_project()), is_stream=True)
    ws = wb.add_worksheet(DASHBOARD)
    ws.set_vba_name("Sheet1")
    title = wb.add_format({"bold": True, "font_size": 15, "font_name": "Times New Roman", "font_color": "#1F4E78"})
    label = wb.add_format(
        {
            "bold": True,
            "font_name": "Times New Roman",
            "font_size": 12,
            "border": 1,
            "bg_color": "#D9E1F2",
            "valign": "vcenter",
        }
    )
    value = wb.add_format(
        {
            "font_name": "Times New Roman",
            "font_size": 12,
            "border": 1,
            "bg_color": "#FFF2CC",
            "locked": False,
            "valign": "vcenter",
        }
    )
    value_date = wb.add_format(
        {
            "font_name": "Times New Roman",
            "font_size": 12,
            "border": 1,
            "bg_color": "#FFF2CC",
            "locked": False,
            "valign": "vcenter",
            "num_format": "dd/mm/yyyy",
        }
    )
    note = wb.add_format({"italic": True, "font_name": "Times New Roman", "font_size": 11, "font_color": "#595959"})
    header = wb.add_format(
        {
            "bold": True,
            "font_name": "Times New Roman",
            "font_size": 12,
            "font_color": "#FFFFFF",
            "bg_color": "#1F4E78",
            "border": 1,
            "align": "center",
            "valign": "vcenter",
        }
    )
    legend = wb.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 12, "valign": "vcenter"})
    text = wb.add_format({"font_name": "Times New Roman", "font_size": 12, "valign": "vcenter"})
    ws.write("A1", "SỔ THEO DÕI KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH — BẢNG ĐIỀU KHIỂN", title)
    ws.set_row(0, 24)
    # the first screen: settings on the left (A label, B value, C folder picker), the buttons on
    # the right, one column per group; every row height set, so that nothing moves on opening
    ws.merge_range(HEADER_ROW - 1, 0, HEADER_ROW - 1, 2, "Cài đặt (điền các ô nền vàng)", header)
    ws.set_row(HEADER_ROW - 1, 19.5)
    for key, (row, label_text, default, hint) in SETTINGS.items():
        ws.write(row - 1, 0, label_text, label)
        tip = {"input_title": label_text[:32], "input_message": hint[:255]}
        if key == "period":
            ws.write(row - 1, 1, default or period_choices(year)[0], value)
            ws.data_validation(row - 1, 1, row - 1, 1, {"validate": "list", "source": period_choices(year), **tip})
        elif key == "as_of":
            ws.write_blank(row - 1, 1, None, value_date)
            ws.data_validation(
                row - 1,
                1,
                row - 1,
                1,
                {
                    "validate": "date",
                    "criteria": "between",
                    "minimum": date(2000, 1, 1),
                    "maximum": date(2100, 12, 31),
                    "error_message": "Hãy nhập ngày dạng ngày/tháng/năm.",
                    **tip,
                },
            )
        else:
            ws.write(row - 1, 1, default, value)
            ws.data_validation(row - 1, 1, row - 1, 1, {"validate": "any", **tip})
        ws.set_row(row - 1, SETTING_ROW_HEIGHT)
        if key in PICKERS:
            ws.insert_button(
                row - 1, 2, {"macro": f"BangDieuKhien.{PICKERS[key]}", "caption": "Chọn thư mục…", **PICKER}
            )
    first, last = min(r for r, *_ in SETTINGS.values()), max(r for r, *_ in SETTINGS.values())
    span = round((last - first + 1) * SETTING_ROW_HEIGHT * 4 / 3)  # pixels of the settings' rows
    captions = {macro: caption for macro, caption, _ in BUTTONS}
    step = (span - BUTTON["gap"]) // max(len(m) for _, m in GROUPS)
    for g, (group, macros) in enumerate(GROUPS):
        col = FIRST_GROUP_COL + g
        ws.write(HEADER_ROW - 1, col, group, header)
        for i, macro in enumerate(macros):
            ws.insert_button(
                first - 1,
                col,
                {
                    "macro": f"BangDieuKhien.{macro}",
                    "caption": captions[macro],
                    "width": BUTTON["width"],
                    "height": step - BUTTON["gap"],
                    "x_offset": BUTTON["x_offset"],
                    "y_offset": BUTTON["gap"] + i * step,
                },
            )
    ws.write(
        NOTE_ROW - 1,
        0,
        "Chọn một ô nền vàng để xem giải thích; các nút làm gì: xem bên dưới. Các nút cần Python và ccpkh-excel "
        "(xem hướng dẫn HUONG_DAN_EXCEL).",
        note,
    )
    ws.set_row(NOTE_ROW - 1, 18.75)
    # below the first screen: what each button and each setting does
    row = LEGEND_ROW - 1
    ws.write(row, 0, "Các nút làm gì", title)
    ws.set_row(row, 24)
    for _, caption, hint in BUTTONS:
        row += 1
        ws.write(row, 0, caption, legend)
        ws.write(row, 1, hint, text)
        ws.set_row(row, 18.75)
    row += 2
    ws.write(row, 0, "Các ô cài đặt", title)
    ws.set_row(row, 24)
    for _, (_, label_text, _, hint) in SETTINGS.items():
        row += 1
        ws.write(row, 0, label_text, legend)
        ws.write(row, 1, hint, text)
        ws.set_row(row, 18.75)
    for letter, width in COLUMN_WIDTHS.items():
        ws.set_column(f"{letter}:{letter}", width)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.activate()
    conf = wb.add_worksheet(XLWINGS_CONF)
    for r, (key, val) in enumerate(XLWINGS_SETTINGS):  # no empty key: xlwings would read "" for it
        conf.write_row(r, 0, [key, val])
    conf.write(
        0,
        3,
        "Cài đặt của xlwings: Interpreter_Win là python nếu Python có sẵn trong PATH, "
        "nếu không thì đường dẫn đầy đủ tới python.exe.",
    )
    conf.hide()
    wb.close()
    return buf.getvalue()


def lost_macros(path: Path | str) -> str | None:
    """Why a master that had the buttons (it has the dashboard) has lost them — saved as
    .xlsx, or by a program that drops the VBA project or the buttons — or None."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            workbook = z.read("xl/workbook.xml").decode("utf-8", "replace")
            vml = "".join(z.read(n).decode("utf-8", "replace") for n in names if n.startswith("xl/drawings/vmlDrawing"))
            vba = z.read("xl/vbaProject.bin") if "xl/vbaProject.bin" in names else None
    except (OSError, KeyError, zipfile.BadZipFile):
        return None  # not a workbook we can read: the other checks say so
    if f'name="{DASHBOARD}"' not in workbook:
        return None  # a master without buttons (.xlsx made so): nothing lost
    command = f'ccpkh-excel macros "{path.name}"'
    if path.suffix.lower() != ".xlsm":
        return (
            f"Sổ có Bảng điều khiển nhưng được lưu dạng {path.suffix or 'không đuôi'} nên đã mất macro: các nút "
            f"không chạy. Dựng lại sổ .xlsm có nút, giữ nguyên dữ liệu: {command}."
        )
    lost = []
    if vba is None:
        lost.append("phần macro (VBA)")
    else:
        import olefile

        try:
            ole = olefile.OleFileIO(io.BytesIO(vba))
            absent = [m for m in ("BangDieuKhien", "xlwings") if not ole.exists(f"VBA/{m}")]
            ole.close()
        except OSError:
            absent = ["VBA"]
        if absent:
            lost.append("module VBA " + ", ".join(absent))
    wanted = [macro for macro, _, _ in BUTTONS] + list(PICKERS.values())
    gone = [m for m in wanted if f"BangDieuKhien.{m}" not in vml]
    if gone:
        lost.append(f"{len(gone)}/{len(wanted)} nút bấm")
    if not lost:
        return None
    return (
        f"Sổ đã mất {', '.join(lost)} (thường do lưu bằng LibreOffice hoặc chương trình khác): các nút không chạy. "
        f"Dựng lại macro và nút, giữ nguyên dữ liệu: {command}."
    )
