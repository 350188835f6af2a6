"""The master workbook's sheets: names, tables, columns — and typed rows generated from them.

Sheet names and column headers are a contract with the offices' workbooks: they are
relied on letter for letter. Each column also has an English `key`; `SheetSpec.row` is a
named tuple of those keys, so code reads ``row.status``, never ``row[5]``.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "text"  # text | date | datetime | int | formula
    key: str = ""
    choices: str = ""  # a list formula: the column's cells offer these values (an Excel dropdown)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    table: str
    columns: tuple[Column, ...]
    stored: int | None = None  # columns kept in the file's records; the rest are derived when written

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        return self.columns[: self.stored] if self.stored else self.columns

    @cached_property
    def row(self) -> type:
        """The named tuple of one stored row: fields are the columns' keys."""
        keys = [c.key for c in self.stored_columns]
        assert all(keys), f"{self.name}: every stored column needs a key"
        return namedtuple(f"{self.table}Row", keys)

    def make(self, **values) -> tuple:
        """A row with the given fields, the others empty."""
        return self.row(**{k: values.get(k, "") for k in self.row._fields})


C = Column
INFO = SheetSpec("Thông tin chung", "ThongTinChung", (C("Mục", 24, key="label"), C("Giá trị", 90, key="value")))
UNITS = SheetSpec(
    "Đơn vị",
    "DonVi",
    (
        C("Mã đơn vị", 14, key="code"),
        C("Tên đơn vị", 42, key="name"),
        C("Tên khác", 36, key="aliases"),
        C("Nhóm", 36, key="groups"),
        C("Email", 30, key="email"),
    ),
)
TASKS = SheetSpec(
    "Danh mục nhiệm vụ",
    "DanhMucNhiemVu",
    (
        C("Mã NV", 9, key="code"),
        C("STT", 6, key="stt"),
        C("Lĩnh vực", 22, key="field"),
        C("Nội dung công việc", 60, key="content"),
        C("Cơ quan chủ trì", 24, key="lead"),
        C("Cơ quan phối hợp", 28, key="coop"),
        C("Thời gian hoàn thành", 20, key="deadline"),
        C("Hạn hoàn thành", 14, "date", key="due"),
        C("Sản phẩm", 26, key="product"),
        C("Ghi chú", 26, key="note"),
    ),
)
ASSIGN = SheetSpec(
    "Phân công",
    "PhanCong",
    (
        C("Mã NV", 10, key="task"),
        C("Mã đơn vị", 14, key="unit"),
        C("Tên đơn vị", 48, key="unit_name"),
        C("Vai trò", 12, key="role"),
    ),
)
ANSWER_COLUMNS = (
    C("Trạng thái", 16, key="status"),
    C("Ngày hoàn thành", 14, "date", key="done"),
    C("Kết quả thực hiện", 48, key="result"),
    C("Khó khăn, vướng mắc", 32, key="difficulty"),
    C("Đề xuất, kiến nghị", 32, key="proposal"),
)
SUMMARY = SheetSpec(
    "Tổng hợp",
    "TongHop",
    (
        C("Mã NV", 9, key="task"),
        C("Mã đơn vị", 12, key="unit"),
        C("Tên đơn vị", 30, key="unit_name"),
        C("Vai trò", 10, key="role"),
        C("Kỳ báo cáo", 14, key="period"),
        *ANSWER_COLUMNS,
        C("Cập nhật lúc", 17, "datetime", key="saved"),
        C("Nguồn", 34, key="source"),
        C("Hạn hoàn thành", 14, "date", key="due"),  # derived: the task's due date
        C("Đánh giá", 22, "formula", key="evaluation"),  # derived: a live formula, see stats_sheet.py
    ),
    stored=12,
)
RETURNS = SheetSpec(
    "Theo dõi nộp",
    "TheoDoiNop",
    (
        C("Mã đơn vị", 12, key="unit"),
        C("Tên đơn vị", 34, key="unit_name"),
        C("Kỳ báo cáo", 14, key="period"),
        C("Tệp", 40, key="file"),
        C("Nhận lúc", 17, "datetime", key="received"),
        C("Kết quả", 22, key="outcome"),
        C("Số dòng", 9, "int", key="rows"),
        C("Lưu lúc", 17, "datetime", key="saved"),
        C("Lý do", 60, key="reason"),
    ),
)
EXTRA = SheetSpec(
    "Nhiệm vụ phát sinh",
    "NhiemVuPhatSinh",
    (
        C("Mã đơn vị", 12, key="unit"),
        C("Tên đơn vị", 30, key="unit_name"),
        C("Kỳ báo cáo", 14, key="period"),
        C("STT", 6, key="stt"),
        C("Nội dung công việc", 50, key="content"),
        *ANSWER_COLUMNS,
        C("Nguồn", 34, key="source"),
    ),
)
LOG = SheetSpec(
    "Nhật ký",
    "NhatKy",
    (
        C("Thời điểm", 17, "datetime", key="time"),
        C("Người chạy", 16, key="user"),
        C("Việc", 14, key="action"),
        C("Tệp", 50, key="files"),
        C("Kết quả", 60, key="outcome"),
    ),
)
MAIL = SheetSpec(
    "Thư điện tử",
    "ThuDienTu",
    (
        C("Thời điểm", 17, "datetime", key="time"),
        C("Mã đơn vị", 12, key="unit"),
        C("Kỳ báo cáo", 14, key="period"),
        C("Việc", 16, key="action"),  # Gửi phiếu, Nhắc hạn, Đôn đốc, Nhận phiếu, Trả lời
        C("Địa chỉ", 34, key="address"),
        C("Message-ID", 40, key="message_id"),
        C("Tệp", 40, key="file"),
        C("Kết quả", 50, key="outcome"),
    ),
)
SETTINGS = SheetSpec("Cài đặt thư", "CaiDatThu", (C("Mục", 34, key="label"), C("Giá trị", 90, key="value")))
# What the clerk sets for e-mail (server names and ports, security, account, sender, folders, the
# messages' subject and body); environment variables take precedence (see features/mailing.py).
# The password is never here: only CCPKH_MAIL_PASSWORD or the OS keyring.
MAIL_SETTINGS = (
    ("Máy chủ gửi thư (SMTP)", ""),
    ("Cổng SMTP", "587"),
    ("Máy chủ nhận thư (IMAP)", ""),
    ("Cổng IMAP", "993"),
    ("Bảo mật (ssl/starttls/none)", "starttls"),
    ("Tài khoản thư", ""),
    ("Địa chỉ gửi", ""),
    ("Thư mục nhận (IMAP)", "INBOX"),
    ("Thư mục lưu thư đã xử lý", ""),
    ("Tiêu đề thư gửi phiếu", "Phiếu báo cáo {ky} – {ke_hoach}"),
    (
        "Nội dung thư gửi phiếu",
        "Kính gửi {don_vi},\n\nĐể tổng hợp tình hình thực hiện {ke_hoach}, đề nghị Quý cơ quan điền phiếu báo cáo "
        "{ky} đính kèm (chỉ nhập vào các ô nền vàng) và gửi lại bằng cách trả lời thư này, kèm tệp phiếu, "
        "trước ngày {han}.\n\nTrân trọng cảm ơn.\n{co_quan}",
    ),
    ("Tiêu đề thư nhắc", "Nhắc hạn gửi phiếu báo cáo {ky} – {ke_hoach}"),
    (
        "Nội dung thư nhắc",
        "Kính gửi {don_vi},\n\nĐến nay chưa nhận được phiếu báo cáo {ky} của Quý cơ quan. Đề nghị gửi lại phiếu "
        "trước ngày {han} bằng cách trả lời thư này, kèm tệp phiếu.\n\nTrân trọng.\n{co_quan}",
    ),
)
BASIS = SheetSpec("Căn cứ", "CanCu", (C("Căn cứ", 120, key="text"),))
PURPOSE = SheetSpec("Mục đích, yêu cầu", "MucDichYeuCau", (C("Mục", 14, key="label"), C("Nội dung", 110, key="text")))
CONTENT = SheetSpec("Nội dung", "NoiDung", (C("Lĩnh vực", 34, key="label"), C("Nội dung", 100, key="text")))
ORGANIZATION = SheetSpec(
    "Tổ chức thực hiện",
    "ToChucThucHien",
    (C("Mã đơn vị hoặc tiêu đề", 34, key="label"), C("Nhiệm vụ", 100, key="text")),
)
SHEETS = (INFO, UNITS, TASKS, ASSIGN)
TEXT_SHEETS = (BASIS, PURPOSE, CONTENT, ORGANIZATION)
RECORD_SHEETS = (SUMMARY, RETURNS, EXTRA, LOG, MAIL)  # written by generate/merge/mail; kept when the plan is rewritten
STATS = "Thống kê"
DASHBOARD = "Bảng điều khiển"  # first sheet of a macro-enabled master
SECRET_SHEET = "_ccpkh"  # very hidden: the plan's secret that signs its forms (A1 "secret", B1 the key)
PLAN_SHEET_NAMES = tuple(s.name for s in (*SHEETS, *TEXT_SHEETS)) + (STATS, SECRET_SHEET, SETTINGS.name)
RECORD_SHEET_NAMES = tuple(s.name for s in RECORD_SHEETS) + (STATS,)

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
