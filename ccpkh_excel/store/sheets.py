"""The master's plan sheets written with openpyxl: styled Excel tables, dropdowns, input
messages, the protected Phân công sheet and the Thống kê sheet. Used by `Master.save` when the
plan changes (init, import, check); the record sheets are written by the faster `records`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ccpkh_excel.domain.plan import INFO_FIELDS, Assignment, Plan
from ccpkh_excel.domain.vntext import clean
from ccpkh_excel.errors import MasterError
from ccpkh_excel.store.schema import (
    ASSIGN,
    BASIS,
    CONTENT,
    DASHBOARD,
    DATE_FORMAT,
    DATETIME_FORMAT,
    INFO,
    MAIL_SETTINGS,
    ORGANIZATION,
    PURPOSE,
    RECORD_SHEETS,
    SECRET_SHEET,
    SETTINGS,
    TASKS,
    UNITS,
    SheetSpec,
)
from ccpkh_excel.store.stats_sheet import write_stats_sheet

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FONT = Font(name="Times New Roman", bold=True, size=12, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_BODY_FONT = Font(name="Times New Roman", size=12)
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEAD_ALIGN = Alignment(wrap_text=True, vertical="center", horizontal="center")


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
        if col.choices:  # a dropdown; other text is still accepted (e.g. "SNV – Sở Nội vụ")
            _validate(ws, f"{letter}2:{letter}{last + 200}", type="list", formula1=col.choices, showErrorMessage=False)
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


def load(source: Path | bytes | None, macro: bool = False) -> Workbook:
    """The master in openpyxl: from its file, from a base workbook's bytes, or a new one."""
    import io

    if source is None:
        wb = Workbook()
        wb.remove(wb.active)
        return wb
    name = source if isinstance(source, Path) else None
    try:
        return load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source, keep_vba=macro)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MasterError(
            f"không đọc được sổ theo dõi ({exc.__class__.__name__}). Tệp có bị hỏng không?", name
        ) from exc


def fill_plan(wb: Workbook, plan: Plan, assignments: list[Assignment], secret: str) -> None:
    """Write the plan's sheets into `wb` as styled tables, keeping the record sheets; the
    plan's secret goes into a very hidden sheet."""
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
    if SETTINGS.name not in wb.sheetnames:  # the clerk's own values are kept once the sheet is there
        ws = _write_sheet(wb, SETTINGS, [list(r) for r in MAIL_SETTINGS], len(wb.sheetnames))
        ws["D1"] = "Mật khẩu thư không ghi ở đây: dùng lệnh 'ccpkh-excel mail-password' (lưu trong máy)."
        ws["D1"].font = Font(name="Times New Roman", italic=True, color="7F7F7F")
    write_stats_sheet(wb, plan)
    wb.calculation.fullCalcOnLoad = True
    _decorate(wb, plan)
    first = DASHBOARD if offset else TASKS.name
    wb.active = wb.sheetnames.index(first)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == first
    wb.properties.creator = "ccpkh-excel"
    wb.properties.title = clean(plan.info.get("Trích yếu", "")) or "Sổ theo dõi kế hoạch CCHC"
    if SECRET_SHEET in wb.sheetnames:
        del wb[SECRET_SHEET]
    hidden = wb.create_sheet(SECRET_SHEET)
    hidden["A1"], hidden["B1"] = "secret", secret
    hidden["A2"] = "Khóa ký phiếu của kế hoạch này. Không sửa, không chép ra ngoài."
    hidden.sheet_state = "veryHidden"
    hidden.protection.sheet = True


def write_side_sheets(wb: Workbook, sheets: dict[SheetSpec, list[list[object]]]) -> None:
    """(Re)write sheets the plan does not own — e.g. *Kiểm tra nhập* after an import, *Đánh giá*
    when a master is made — as styled tables, each where it was (a new one last)."""
    for spec, rows in sheets.items():
        _write_sheet(wb, spec, [list(r) for r in rows], len(wb.sheetnames))


MACRO_PARTS = ("xl/vbaProject.bin", "xl/drawings/vmlDrawing")  # the VBA project and the buttons


def macro_parts(source: Path | bytes) -> set[str]:
    """Which of the macro workbook's parts (VBA project, buttons) a file holds."""
    import io

    if isinstance(source, Path) and (not source.exists() or source.suffix.lower() != ".xlsm"):
        return set()
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as z:
        return {p for p in MACRO_PARTS if any(n.startswith(p) for n in z.namelist())}
