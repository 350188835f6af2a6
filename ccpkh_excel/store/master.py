"""The master workbook: its sheets, reading them into a Plan and writing them back.

Writing never leaves a half-written file: the workbook is saved to a temporary file
beside the master and moved into place only when complete. A master open in Excel
(its "~$" lock file) or LibreOffice (".~lock.…#") is refused.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ccpkh_excel.domain.plan import INFO_FIELDS, Assignment, Plan, Task, build_assignments
from ccpkh_excel.errors import MasterError, MasterLockedError
from ccpkh_excel.domain.units import Unit, split_list
from ccpkh_excel.domain.vntext import clean, fold


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "text"  # text | date | int


@dataclass(frozen=True)
class SheetSpec:
    name: str
    table: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


INFO = SheetSpec("Thông tin chung", "ThongTinChung", (Column("Mục", 24), Column("Giá trị", 90)))
UNITS = SheetSpec(
    "Đơn vị",
    "DonVi",
    (
        Column("Mã đơn vị", 14),
        Column("Tên đơn vị", 42),
        Column("Tên khác", 36),
        Column("Nhóm", 36),
        Column("Email", 30),
    ),
)
TASKS = SheetSpec(
    "Danh mục nhiệm vụ",
    "DanhMucNhiemVu",
    (
        Column("Mã NV", 9),
        Column("STT", 6),
        Column("Lĩnh vực", 22),
        Column("Nội dung công việc", 60),
        Column("Cơ quan chủ trì", 24),
        Column("Cơ quan phối hợp", 28),
        Column("Thời gian hoàn thành", 20),
        Column("Hạn hoàn thành", 14, "date"),
        Column("Sản phẩm", 26),
        Column("Ghi chú", 26),
    ),
)
ASSIGN = SheetSpec(
    "Phân công",
    "PhanCong",
    (Column("Mã NV", 10), Column("Mã đơn vị", 14), Column("Tên đơn vị", 48), Column("Vai trò", 12)),
)
REPORT_COLUMNS = (
    Column("Trạng thái", 16),
    Column("Ngày hoàn thành", 14, "date"),
    Column("Kết quả thực hiện", 48),
    Column("Khó khăn, vướng mắc", 32),
    Column("Đề xuất, kiến nghị", 32),
)
SUMMARY = SheetSpec(
    "Tổng hợp",
    "TongHop",
    (
        Column("Mã NV", 9),
        Column("Mã đơn vị", 12),
        Column("Tên đơn vị", 30),
        Column("Vai trò", 10),
        Column("Kỳ báo cáo", 14),
        *REPORT_COLUMNS,
        Column("Cập nhật lúc", 17, "datetime"),
        Column("Nguồn", 34),
        Column("Hạn hoàn thành", 14, "date"),  # derived: the task's due date
        Column("Đánh giá", 22, "formula"),  # derived: a live formula, see status.py
    ),
)
SUMMARY_STORED = 12  # the columns merge stores; the rest are derived when written
RETURNS = SheetSpec(
    "Theo dõi nộp",
    "TheoDoiNop",
    (
        Column("Mã đơn vị", 12),
        Column("Tên đơn vị", 34),
        Column("Kỳ báo cáo", 14),
        Column("Tệp", 40),
        Column("Nhận lúc", 17, "datetime"),
        Column("Kết quả", 22),
        Column("Số dòng", 9, "int"),
        Column("Lưu lúc", 17, "datetime"),
        Column("Lý do", 60),
    ),
)
EXTRA = SheetSpec(
    "Nhiệm vụ phát sinh",
    "NhiemVuPhatSinh",
    (
        Column("Mã đơn vị", 12),
        Column("Tên đơn vị", 30),
        Column("Kỳ báo cáo", 14),
        Column("STT", 6),
        Column("Nội dung công việc", 50),
        *REPORT_COLUMNS,
        Column("Nguồn", 34),
    ),
)
LOG = SheetSpec(
    "Nhật ký",
    "NhatKy",
    (
        Column("Thời điểm", 17, "datetime"),
        Column("Người chạy", 16),
        Column("Việc", 14),
        Column("Tệp", 50),
        Column("Kết quả", 60),
    ),
)
BASIS = SheetSpec("Căn cứ", "CanCu", (Column("Căn cứ", 120),))
PURPOSE = SheetSpec("Mục đích, yêu cầu", "MucDichYeuCau", (Column("Mục", 14), Column("Nội dung", 110)))
CONTENT = SheetSpec("Nội dung", "NoiDung", (Column("Lĩnh vực", 34), Column("Nội dung", 100)))
ORGANIZATION = SheetSpec(
    "Tổ chức thực hiện", "ToChucThucHien", (Column("Mã đơn vị hoặc tiêu đề", 34), Column("Nhiệm vụ", 100))
)
SHEETS = (INFO, UNITS, TASKS, ASSIGN)
TEXT_SHEETS = (BASIS, PURPOSE, CONTENT, ORGANIZATION)
RECORD_SHEETS = (SUMMARY, RETURNS, EXTRA, LOG)  # written by generate/merge, kept by write_plan

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FONT = Font(name="Times New Roman", bold=True, size=12, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_BODY_FONT = Font(name="Times New Roman", size=12)
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEAD_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")


# --- locks and atomic saves -------------------------------------------------------------
def lock_files(path: Path) -> list[Path]:
    """Lock files that say a person has `path` open (Excel's ~$, LibreOffice's .~lock)."""
    names = {"~$" + path.name, ".~lock." + path.name + "#"}
    if len(path.name) > 2:
        names.add("~$" + path.name[2:])
    return [path.parent / n for n in names if (path.parent / n).exists()]


def ensure_not_open(path: Path) -> None:
    if lock_files(path):
        raise MasterLockedError("đang được mở trong Excel hoặc LibreOffice. Hãy lưu, đóng tệp rồi chạy lại.", path)


MACRO_PARTS = ("xl/vbaProject.bin", "xl/drawings/vmlDrawing")  # the VBA project and the buttons


def _macro_parts(path: Path) -> set[str]:
    if not path.exists() or path.suffix.lower() != ".xlsm":
        return set()
    with zipfile.ZipFile(path) as z:
        return {p for p in MACRO_PARTS if any(n.startswith(p) for n in z.namelist())}


def save_atomic(wb: Workbook, path: Path) -> None:
    """Save `wb` to `path` through a temporary file; the old file stays until it is done.

    A macro workbook that would lose its VBA project or its buttons is not saved."""
    path = Path(path)
    ensure_not_open(path)
    before = _macro_parts(path)
    fd, tmp = tempfile.mkstemp(prefix=".ccpkh-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        lost = before - _macro_parts(Path(tmp))
        if lost:
            raise MasterError(
                f"ghi lại sẽ làm mất {', '.join(sorted(lost))} (macro, nút bấm); đã dừng, sổ giữ nguyên.", path
            )
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- reading ---------------------------------------------------------------------------
def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean(value)


def _cell_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)
    if not text:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


def _calamine(path: Path):
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.exists():
        raise MasterError("không tìm thấy tệp. Hãy tạo bằng lệnh 'ccpkh-excel init'.", path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise MasterError(
            f"không đọc được sổ theo dõi ({exc.__class__.__name__}). Tệp có bị hỏng không?", path
        ) from None


def sheet_records(wb, spec: SheetSpec, path: Path, required: bool = True) -> list[dict[str, object]]:
    """Rows of one of our sheets as dicts keyed by its headers (matched leniently)."""
    names = {fold(n): n for n in wb.sheet_names}
    if fold(spec.name) not in names:
        if not required:
            return []
        raise MasterError(f"thiếu sheet '{spec.name}'. Đây có phải sổ theo dõi của ccpkh-excel?", path)
    rows = wb.get_sheet_by_name(names[fold(spec.name)]).to_python(skip_empty_area=False)
    header = rows[0] if rows else []
    index = {fold(h): i for i, h in enumerate(header) if h not in (None, "")}
    missing = [h for h in spec.headers if fold(h) not in index]
    if missing:
        cols = ", ".join(f"'{h}'" for h in missing)
        raise MasterError(f"sheet '{spec.name}' thiếu cột {cols}.", path)
    cols = [index[fold(h)] for h in spec.headers]
    out = []
    for row in rows[1:]:
        record = {h: (row[i] if i < len(row) else None) for h, i in zip(spec.headers, cols, strict=True)}
        if any(v not in (None, "") for v in record.values()):
            out.append(record)
    return out


def open_workbook(path: Path):
    """The master in openpyxl, for the slow, styled writes (init, import, check)."""
    path = Path(path)
    if not path.exists():
        raise MasterError("không tìm thấy tệp. Hãy tạo bằng lệnh 'ccpkh-excel init'.", path)
    try:
        return load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MasterError(
            f"không đọc được sổ theo dõi ({exc.__class__.__name__}). Tệp có bị hỏng không?", path
        ) from exc


def plan_from_workbook(wb, path: Path) -> Plan:
    plan = Plan()
    for r in sheet_records(wb, INFO, path):
        label = _cell_text(r["Mục"])
        match = next((f for f in INFO_FIELDS if fold(f) == fold(label)), label)
        value = r["Giá trị"]
        if match == "Ngày ban hành":
            value = _cell_date(value) or _cell_text(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            value = _cell_text(value)
        plan.info[match] = value
    for r in sheet_records(wb, UNITS, path):
        plan.units.append(
            Unit(
                code=_cell_text(r["Mã đơn vị"]),
                name=_cell_text(r["Tên đơn vị"]),
                aliases=split_list(_cell_text(r["Tên khác"])),
                groups=split_list(_cell_text(r["Nhóm"])),
                email=_cell_text(r["Email"]),
            )
        )
    for r in sheet_records(wb, TASKS, path):
        plan.tasks.append(
            Task(
                code=_cell_text(r["Mã NV"]),
                stt=_cell_text(r["STT"]),
                field=_cell_text(r["Lĩnh vực"]),
                content=_cell_text(r["Nội dung công việc"]),
                lead=_cell_text(r["Cơ quan chủ trì"]),
                coop=_cell_text(r["Cơ quan phối hợp"]),
                deadline=_cell_text(r["Thời gian hoàn thành"]),
                due=_cell_date(r["Hạn hoàn thành"]),
                product=_cell_text(r["Sản phẩm"]),
                note=_cell_text(r["Ghi chú"]),
            )
        )
    for spec, target in ((PURPOSE, plan.purposes), (CONTENT, plan.content), (ORGANIZATION, plan.organization)):
        for r in sheet_records(wb, spec, path, required=False):
            a, b = (_cell_text(r[h]) for h in spec.headers)
            target.append((a, b))
    plan.basis = [_cell_text(r["Căn cứ"]) for r in sheet_records(wb, BASIS, path, required=False)]
    return plan


def read_plan(path: Path) -> Plan:
    """Read the plan a master workbook holds."""
    path = Path(path)
    return plan_from_workbook(_calamine(path), path)


def read_assignments(path: Path) -> list[Assignment]:
    """The "Phân công" rows as stored in the master."""
    path = Path(path)
    return [
        Assignment(
            _cell_text(r["Mã NV"]), _cell_text(r["Mã đơn vị"]), _cell_text(r["Tên đơn vị"]), _cell_text(r["Vai trò"])
        )
        for r in sheet_records(_calamine(path), ASSIGN, path)
    ]


# --- writing ---------------------------------------------------------------------------
def _info_rows(plan: Plan) -> list[list[object]]:
    keys = list(INFO_FIELDS) + [k for k in plan.info if k not in INFO_FIELDS]
    return [[k, plan.info.get(k, "")] for k in keys]


def _unit_rows(plan: Plan) -> list[list[object]]:
    return [[u.code, u.name, "; ".join(u.aliases), "; ".join(u.groups), u.email] for u in plan.units]


def _task_rows(plan: Plan) -> list[list[object]]:
    return [
        [t.code, t.stt, t.field, t.content, t.lead, t.coop, t.deadline, t.due, t.product, t.note] for t in plan.tasks
    ]


def _assign_rows(rows: list[Assignment]) -> list[list[object]]:
    return [[a.task, a.unit, a.unit_name, a.role] for a in rows]


def _named_styles(wb: Workbook) -> None:
    """Register the sheets' styles once; cells then name one instead of setting four parts."""
    from openpyxl.styles import NamedStyle

    if "ccpkh_body" in wb.named_styles:
        return
    head = NamedStyle("ccpkh_header", font=_HEADER_FONT, fill=_HEADER_FILL, alignment=_HEAD_ALIGN, border=_BORDER)
    wb.add_named_style(head)
    for name, fmt in (("ccpkh_body", "General"), ("ccpkh_date", DATE_FORMAT), ("ccpkh_datetime", DATETIME_FORMAT)):
        wb.add_named_style(NamedStyle(name, font=_BODY_FONT, alignment=_WRAP, border=_BORDER, number_format=fmt))


def _write_sheet(wb: Workbook, spec: SheetSpec, rows: list[list[object]], index: int, table: bool = True):
    """(Re)create one sheet as a styled Excel table with its header in row 1.

    Record sheets (table=False) get a plain filter instead of an Excel table, so the fast
    writer in `records` can rewrite their rows without touching table parts."""
    if spec.name in wb.sheetnames:
        index = wb.sheetnames.index(spec.name)
        del wb[spec.name]
    ws = wb.create_sheet(spec.name, index)
    _named_styles(wb)
    ws.append(spec.headers)
    for r, row in enumerate(rows, start=2):
        ws.append(row)
        for c, value in enumerate(row, start=1):
            if isinstance(value, str) and value.startswith("="):
                ws.cell(row=r, column=c).data_type = "s"  # text that looks like a formula stays text
    last = max(len(rows) + 1, 2)  # an Excel table needs at least one body row
    ncol = len(spec.columns)
    for i, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = col.width
        ws.cell(row=1, column=i).style = "ccpkh_header"
        style = {"date": "ccpkh_date", "datetime": "ccpkh_datetime"}.get(col.kind, "ccpkh_body")
        for r in range(2, last + 1):
            ws.cell(row=r, column=i).style = style
    ref = f"A1:{get_column_letter(ncol)}{last}"
    if table:
        t = Table(displayName=spec.table, ref=ref)
        t.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
        ws.add_table(t)
    else:
        ws.auto_filter.ref = ref
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddHeader.center.text = spec.name
    return ws


def input_hint(ws, sqref: str, title: str, prompt: str) -> None:
    """A message Excel shows when the cell is selected; it restricts nothing."""
    _validate(ws, sqref, type="custom", formula1="TRUE", showErrorMessage=False, promptTitle=title, prompt=prompt)


def _validate(ws, sqref: str, **kw) -> None:
    options = {"allow_blank": True, "showErrorMessage": True, "showInputMessage": True, **kw}
    dv = DataValidation(**options)
    dv.add(sqref)
    ws.add_data_validation(dv)


def _decorate(wb: Workbook, plan: Plan) -> None:
    """Dropdowns, input messages and protection that make the sheets behave."""
    info = wb[INFO.name]
    for r in range(2, info.max_row + 1):
        label = info.cell(row=r, column=1).value
        info.cell(row=r, column=1).font = Font(name="Times New Roman", size=12, bold=True)
        target = f"B{r}"
        if label == "Ngày ban hành":
            info[target].number_format = DATE_FORMAT
            _validate(
                info,
                target,
                type="date",
                operator="between",
                formula1="DATE(2000,1,1)",
                formula2="DATE(2100,12,31)",
                errorTitle="Ngày không hợp lệ",
                error="Hãy nhập ngày dạng dd/mm/yyyy.",
                promptTitle="Ngày ban hành",
                prompt="Nhập ngày ký ban hành, ví dụ 27/12/2025.",
            )
        elif label == "Năm":
            _validate(
                info,
                target,
                type="whole",
                operator="between",
                formula1="2000",
                formula2="2100",
                errorTitle="Năm không hợp lệ",
                error="Hãy nhập năm bốn chữ số, ví dụ 2026.",
            )
        elif label == "Quyền hạn ký":
            _validate(
                info,
                target,
                type="list",
                formula1='"TM.,KT.,Q.,TL.,TUQ."',
                showErrorMessage=False,
                promptTitle="Quyền hạn ký",
                prompt="TM. / KT. / Q. / TL. / TUQ., có thể kèm chức danh, "
                "ví dụ: KT. Chủ tịch. Để trống nếu người đứng đầu ký trực tiếp.",
            )
        elif label == "Mã kế hoạch":
            input_hint(info, target, "Mã kế hoạch", "Công cụ tự sinh để nhận ra phiếu của kế hoạch này. Đừng sửa.")
        elif label == "Đầu mối liên hệ":
            input_hint(
                info, target, "Đầu mối liên hệ", "Người/bộ phận đơn vị liên hệ khi điền phiếu: tên, điện thoại, email."
            )
        elif label == "Nơi nhận":
            input_hint(info, target, "Nơi nhận", "Mỗi nơi nhận cách nhau bằng dấu chấm phẩy (;).")
    units = wb[UNITS.name]
    last = max(units.max_row, 2)
    input_hint(units, f"C2:D{last + 500}", "Danh sách", "Nhiều giá trị cách nhau bằng dấu chấm phẩy (;).")
    _validate(
        units,
        f"E2:E{last + 500}",
        type="custom",
        formula1='ISNUMBER(SEARCH("@",E2))',
        errorStyle="warning",
        errorTitle="Email không hợp lệ",
        error="Địa chỉ email phải có ký tự @.",
    )
    tasks = wb[TASKS.name]
    last = max(tasks.max_row, 2)
    _validate(
        tasks,
        f"H2:H{last + 500}",
        type="date",
        operator="between",
        formula1="DATE(2000,1,1)",
        formula2="DATE(2100,12,31)",
        errorTitle="Ngày không hợp lệ",
        error="Hạn hoàn thành phải là ngày (dd/mm/yyyy).",
        promptTitle="Hạn hoàn thành",
        prompt="Tự tính từ Thời gian hoàn thành; chỉ nhập tay khi công cụ không hiểu cách ghi.",
    )
    input_hint(
        tasks, f"A2:A{last + 500}", "Mã NV", "Mã do công cụ cấp, không sửa. Dòng mới để trống, lệnh check sẽ cấp mã."
    )
    assign = wb[ASSIGN.name]
    assign.protection.sheet = True
    assign.protection.autoFilter = False
    assign.protection.sort = False
    assign.protection.formatColumns = False
    assign["F1"] = "Sheet tự sinh từ Danh mục nhiệm vụ và Đơn vị; đừng sửa tay."
    assign["F1"].font = Font(name="Times New Roman", italic=True, color="7F7F7F")


def write_plan(plan: Plan, path: Path, assignments: list[Assignment] | None = None) -> None:
    """Write `plan` into the master at `path` (creating it), keeping its other sheets."""
    from uuid import uuid4

    from ccpkh_excel.domain.plan import PLAN_ID

    path = Path(path)
    ensure_not_open(path)
    if not plan.info.get(PLAN_ID):
        plan.info[PLAN_ID] = "KH-" + uuid4().hex[:10].upper()
    if path.exists():
        wb = open_workbook(path)
    else:
        wb = Workbook()
        wb.remove(wb.active)
    if assignments is None:
        assignments = build_assignments(plan)
    from ccpkh_excel.features.excel.dashboard import DASHBOARD

    offset = 1 if DASHBOARD in wb.sheetnames else 0  # the dashboard of a macro workbook stays first
    for i, (spec, rows) in enumerate(
        (
            (INFO, _info_rows(plan)),
            (UNITS, _unit_rows(plan)),
            (TASKS, _task_rows(plan)),
            (ASSIGN, _assign_rows(assignments)),
            (BASIS, [[b] for b in plan.basis]),
            (PURPOSE, [list(x) for x in plan.purposes]),
            (CONTENT, [list(x) for x in plan.content]),
            (ORGANIZATION, [list(x) for x in plan.organization]),
        )
    ):
        _write_sheet(wb, spec, rows, i + offset)
    for spec in RECORD_SHEETS:
        if spec.name not in wb.sheetnames:
            _write_sheet(wb, spec, [], len(wb.sheetnames), table=False)
    from ccpkh_excel.domain.status import write_stats_sheet

    write_stats_sheet(wb, plan)
    wb.calculation.fullCalcOnLoad = True
    _decorate(wb, plan)
    first = DASHBOARD if offset else TASKS.name
    wb.active = wb.sheetnames.index(first)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == first
    wb.properties.creator = "ccpkh-excel"
    wb.properties.title = clean(plan.info.get("Trích yếu", "")) or "Sổ theo dõi kế hoạch CCHC"
    save_atomic(wb, path)


# --- init and check ----------------------------------------------------------------------
def init_master(path: Path, sample: bool = False, force: bool = False) -> Plan:
    """Create a master workbook, empty or filled with the bundled sample plan."""
    from ccpkh_excel.domain.sample import sample_plan

    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise MasterError("sổ theo dõi phải là tệp .xlsx (hoặc .xlsm có nút bấm).", path)
    if path.exists() and not force:
        raise MasterError("đã có. Dùng --force nếu muốn tạo lại (dữ liệu cũ sẽ mất).", path)
    if not path.parent.exists():
        raise MasterError(f"không có thư mục '{path.parent}'.", path)
    plan = sample_plan() if sample else Plan()
    if path.exists():
        ensure_not_open(path)
        path.unlink()
    if path.suffix.lower() == ".xlsm":
        from ccpkh_excel.features.excel.dashboard import base_workbook

        path.write_bytes(base_workbook(plan.year))  # dashboard, buttons, VBA; the sheets follow
    write_plan(plan, path)
    return plan


@dataclass
class CheckReport:
    plan: Plan
    problems: list
    changes: list[str]
    saved: bool = True
    not_saved_reason: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def check_master(path: Path) -> CheckReport:
    """Check the master; fill what is derived (new Mã NV, Hạn hoàn thành, Phân công)."""
    from ccpkh_excel.domain.plan import apply_deadline, check_plan, number_tasks
    from ccpkh_excel.domain.deadlines import DATE, parse_deadline

    path = Path(path)
    wb = _calamine(path)
    plan = plan_from_workbook(wb, path)
    stored = [Assignment(*(_cell_text(r[h]) for h in ASSIGN.headers)) for r in sheet_records(wb, ASSIGN, path)]
    changes = []
    numbered = number_tasks(plan.tasks)
    new_codes = [t.code for t, old in zip(numbered, plan.tasks, strict=True) if not old.code]
    if new_codes:
        changes.append(f"Cấp mã cho {len(new_codes)} nhiệm vụ mới: {', '.join(new_codes)}.")
    filled = []
    for i, t in enumerate(numbered):
        if t.due is None and parse_deadline(t.deadline, plan.year).kind == DATE:
            numbered[i] = apply_deadline(t, plan.year)[0]
            filled.append(t.code)
    if filled:
        changes.append(f"Tính Hạn hoàn thành cho {len(filled)} nhiệm vụ: {', '.join(filled)}.")
    plan.tasks = numbered
    assignments = build_assignments(plan)
    if stored != assignments:
        changes.append(f"Cập nhật sheet Phân công ({len(assignments)} dòng).")
    report = CheckReport(plan, check_plan(plan), changes)
    if changes:
        try:
            write_plan(plan, path, assignments)
        except MasterLockedError as exc:
            report.saved, report.not_saved_reason = False, str(exc)
    return report
