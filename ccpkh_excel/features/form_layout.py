"""What a form (phiếu báo cáo) is made of — its sheets, columns, rows and the identity it
carries: the contract `generate` writes and `merge` and `collect` read (kept apart from
`forms`, which builds the workbook, so a reader need not load openpyxl)."""

from __future__ import annotations

FORMAT = "ccpkh-excel/phieu-bao-cao"
VERSION = "2"  # 2: signed with the plan's secret (HMAC-SHA256); 1: plain hashes, no longer accepted
IDENTITY = ("format", "version", "plan", "unit", "period", "due", "rows")
PROPS = tuple(f"ccpkh_{k}" for k in (*IDENTITY, "signature"))  # the identity again, in the file's properties
FORM_SHEET = "Báo cáo"
GUIDE_SHEET = "Hướng dẫn"
META_SHEET = "_ccpkh"
FORM_HEADERS = (
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
)
INPUT_COLUMNS = "FGHIJ"  # Trạng thái … Đề xuất, kiến nghị: the cells a unit types in
STATUSES = ("Chưa thực hiện", "Đang thực hiện", "Hoàn thành", "Tạm dừng")
HEADER_ROW = 7
FIRST_ROW = 8
EXTRA_ROWS = 10
EXTRA_TITLE = "NHIỆM VỤ PHÁT SINH NGOÀI KẾ HOẠCH (nếu có): ghi nội dung vào cột C và tình hình vào các cột F–J"
