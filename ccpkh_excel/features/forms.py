"""Forms out (`generate`): one form workbook (phiếu báo cáo) per unit for a period.

Names: a *form* is the workbook a unit fills in and returns (its *return*); a *report* is the
Word BÁO CÁO; what a command gives back is a *result*.

The styled skeleton is built once with openpyxl; each unit's file is that skeleton with
three parts written as text — its "Báo cáo" rows, its hidden metadata sheet and its custom
properties — so a province's thousand files take seconds, not minutes.

What travels in each file (never taken from its name): the plan id, unit code, period, return
date and format version, signed with the plan's secret (see `ccpkh_excel.domain.signing`), in
a very hidden sheet "_ccpkh" (with a MAC per task row) and again in the file's custom
properties.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from ccpkh_excel.domain import signing, times
from ccpkh_excel.domain.periods import Period, parse_period, period_key
from ccpkh_excel.domain.plan import Plan, build_assignments
from ccpkh_excel.domain.status import SENT
from ccpkh_excel.domain.units import LEAD
from ccpkh_excel.domain.vntext import ascii_slug, clean
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.form_layout import (  # noqa: F401 - the form's contract, read here too
    EXTRA_ROWS,
    EXTRA_TITLE,
    FIRST_ROW,
    FORM_HEADERS,
    FORM_SHEET,
    FORMAT,
    GUIDE_SHEET,
    HEADER_ROW,
    IDENTITY,
    INPUT_COLUMNS,
    META_SHEET,
    PROPS,
    STATUSES,
    VERSION,
)
from ccpkh_excel.store import xlsxfast
from ccpkh_excel.store.files import os_reason, replace_with
from ccpkh_excel.store.master import Master, hold
from ccpkh_excel.store.records import ReturnRow
from ccpkh_excel.store.sheets import input_hint

WIDTHS = (9, 6, 55, 10, 18, 16, 13, 44, 30, 30, 12)

GUIDE = [
    "HƯỚNG DẪN ĐIỀN PHIẾU BÁO CÁO",
    "",
    "1. Phiếu liệt kê các nhiệm vụ đơn vị được giao chủ trì hoặc phối hợp trong kỳ báo cáo (sheet Báo cáo).",
    "2. Chỉ nhập vào các ô nền vàng: Trạng thái, Ngày hoàn thành, Kết quả thực hiện, Khó khăn, vướng mắc, Đề xuất, kiến nghị.",
    "   Các cột khác đã khóa; đừng gỡ khóa, xóa, chèn hay đổi thứ tự dòng, vì phiếu sẽ không được tổng hợp.",
    "3. Trạng thái: chọn trong danh sách —",
    "   • Chưa thực hiện: chưa triển khai;",
    "   • Đang thực hiện: đã triển khai, chưa xong;",
    "   • Hoàn thành: đã xong (ghi Ngày hoàn thành và sản phẩm, văn bản ở Kết quả thực hiện);",
    "   • Tạm dừng: phải chờ điều kiện bên ngoài (ví dụ văn bản của cấp trên); ghi lý do ở Khó khăn, vướng mắc.",
    "4. Ngày hoàn thành: nhập ngày dạng ngày/tháng/năm, ví dụ 15/03/2026.",
    "5. Kết quả thực hiện: nêu việc đã làm, số và ngày văn bản, sản phẩm. Với nhiệm vụ phối hợp, ghi phần việc của đơn vị.",
    "6. Kỳ trước đơn vị đã báo cáo gì thì phiếu đã điền sẵn: chỉ cần sửa phần thay đổi.",
    "7. Nhiệm vụ đã quá hạn mà chưa hoàn thành: các ô Mã NV … Thời gian hoàn thành tô đỏ, các ô nền vàng"
    " có chữ đỏ và viền đỏ — vẫn nhập vào các ô nền vàng đó.",
    "8. Nhiệm vụ phát sinh ngoài kế hoạch: ghi vào các dòng dưới bảng (phần NHIỆM VỤ PHÁT SINH).",
    "9. Lưu tệp (giữ nguyên định dạng .xlsx, có thể đổi tên) và gửi lại cho đầu mối ghi ở đầu sheet Báo cáo trước hạn gửi.",
    "   Không lưu thành .xls hay .xlsm; không chép nội dung sang tệp khác.",
]


@dataclass
class UnitForm:
    code: str
    name: str
    email: str
    file: Path
    tasks: int


@dataclass
class GenerateResult:
    period: Period
    out_dir: Path
    files: list[UnitForm] = field(default_factory=list)
    manifest: Path | None = None
    skipped: list[str] = field(default_factory=list)  # asked-for units without tasks
    failed: dict[str, str] = field(default_factory=dict)  # unit → why its file could not be written


MAX_NAME = 100  # characters of a form's file name, extension included


def form_file_name(code: str, name: str, period: Period, taken: set[str] | None = None) -> str:
    """`<mã>_<tên không dấu>_<kỳ>.xlsx`, at most 100 characters, never one already `taken`
    (compared without case: Windows and macOS do not tell "SO" from "so")."""
    code_slug, tail = ascii_slug(code)[:30] or "DV", f"_{period.slug}.xlsx"
    room = MAX_NAME - len(code_slug) - len(tail) - 1
    base = f"{code_slug}_{ascii_slug(name)[: max(room, 0)].rstrip('_')}".rstrip("_")
    candidate, n = base + tail, 2
    while taken is not None and candidate.casefold() in taken:
        suffix = f"_{n}"
        candidate = base[: MAX_NAME - len(tail) - len(suffix)] + suffix + tail
        n += 1
    if taken is not None:
        taken.add(candidate.casefold())
    return candidate


def csv_safe(value: object) -> str:
    """A CSV cell Excel will not run as a formula (OWASP: prefix = + - @ TAB CR with ')."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- the skeleton ----------------------------------------------------------------------------
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = Font(name="Times New Roman", size=12)
_INPUT = PatternFill("solid", fgColor="FFF2CC")
_OVERDUE_FILL = PatternFill("solid", fgColor="F8CBAD", bgColor="F8CBAD")
_OVERDUE_FONT = Font(color="9C0006", bold=True)
_RED = Side(style="thin", color="C00000")
_OVERDUE_BORDER = Border(left=_RED, right=_RED, top=_RED, bottom=_RED)
GUIDE_WIDTH = 70  # column A of Hướng dẫn: fits A4 portrait at 12 pt (LibreOffice too), long lines wrap


def _skeleton(year: int | None) -> bytes:
    """The form workbook with one placeholder task row, styled, validated and protected."""
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    n_last_extra = FIRST_ROW + 1 + 1 + EXTRA_ROWS  # task row, blank, title, extra rows
    title = Font(name="Times New Roman", size=14, bold=True)
    for r in range(1, 7):
        c = ws.cell(row=r, column=1, value=f"[{r}]")
        c.font = title if r == 1 else Font(name="Times New Roman", size=12, italic=(r == 6), bold=(r == 3))
        c.alignment = Alignment(horizontal="center" if r == 1 else "left", vertical="center", wrap_text=True)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(FORM_HEADERS))
    ws.row_dimensions[1].height = 24
    for i, h in enumerate(FORM_HEADERS, start=1):
        c = ws.cell(row=HEADER_ROW, column=i, value=h)
        c.font = Font(name="Times New Roman", size=12, bold=True)
        c.fill = PatternFill("solid", fgColor="D9E1F2")
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.border = _BORDER
    for i in range(1, len(FORM_HEADERS) + 2):
        c = ws.cell(row=FIRST_ROW, column=i, value="x")
        c.font, c.border = _FONT, _BORDER
        c.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if i in (1, 2, 4, 7) else None)
        if 6 <= i <= 10:
            c.fill, c.protection = _INPUT, Protection(locked=False)
        if i in (7, 11):
            c.number_format = "dd/mm/yyyy"
    t = ws.cell(row=FIRST_ROW + 2, column=1, value=EXTRA_TITLE)
    t.font = Font(name="Times New Roman", size=12, bold=True, italic=True)
    ws.merge_cells(start_row=FIRST_ROW + 2, start_column=1, end_row=FIRST_ROW + 2, end_column=len(FORM_HEADERS))
    for i in range(1, len(FORM_HEADERS) + 1):
        c = ws.cell(row=FIRST_ROW + 3, column=i, value="x")
        c.font, c.border = _FONT, _BORDER
        c.alignment = Alignment(vertical="top", wrap_text=True)
        if i >= 2 and i != 4:
            c.fill, c.protection = _INPUT, Protection(locked=False)
        if i == 7:
            c.number_format = "dd/mm/yyyy"
    for i, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[xlsxfast.col_letter(i)].width = w
    ws.column_dimensions["K"].hidden = True  # due dates, for the past-due highlight
    y0, y1 = (year - 1, year + 2) if year else (2000, 2100)
    status = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Trạng thái không hợp lệ",
        error="Hãy chọn một trạng thái trong danh sách.",
        showInputMessage=True,
        promptTitle="Trạng thái",
        prompt="Chọn: " + "; ".join(STATUSES) + ".",
    )
    status.add(f"F{FIRST_ROW}:F{n_last_extra}")
    when = DataValidation(
        type="date",
        operator="between",
        formula1=f"DATE({y0},1,1)",
        formula2=f"DATE({y1},12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Ngày không hợp lệ",
        error=f"Hãy nhập ngày từ 01/01/{y0} đến 31/12/{y1}, dạng ngày/tháng/năm.",
        showInputMessage=True,
        promptTitle="Ngày hoàn thành",
        prompt="Chỉ ghi khi đã hoàn thành, ví dụ 15/03/2026.",
    )
    when.add(f"G{FIRST_ROW}:G{n_last_extra}")
    ws.add_data_validation(status)
    ws.add_data_validation(when)
    for col, title, prompt in (
        ("H", "Kết quả thực hiện", "Nêu việc đã làm, số và ngày văn bản, sản phẩm."),
        ("I", "Khó khăn, vướng mắc", "Ghi nếu có; nêu rõ nguyên nhân."),
        ("J", "Đề xuất, kiến nghị", "Ghi nếu có; nêu cơ quan được đề nghị."),
    ):
        input_hint(ws, f"{col}{FIRST_ROW}:{col}{n_last_extra}", title, prompt)
    # A task past due and not done: the locked cells turn red, the input cells keep their yellow
    # fill (where to type must stay visible) and get red text and a red frame instead.
    overdue = f'AND($K{FIRST_ROW}<>"",$K{FIRST_ROW}<TODAY(),$F{FIRST_ROW}<>"{STATUSES[2]}")'
    ws.conditional_formatting.add(
        f"A{FIRST_ROW}:E{FIRST_ROW}",
        FormulaRule(formula=[overdue], fill=_OVERDUE_FILL, font=_OVERDUE_FONT),
    )
    ws.conditional_formatting.add(
        f"F{FIRST_ROW}:J{FIRST_ROW}",
        FormulaRule(formula=[overdue], font=_OVERDUE_FONT, border=_OVERDUE_BORDER),
    )
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    ws.protection.formatCells = False
    guide = wb.create_sheet(GUIDE_SHEET)
    for r, line in enumerate(GUIDE, start=1):
        c = guide.cell(row=r, column=1, value=line)
        c.font = Font(name="Times New Roman", size=13 if r == 1 else 12, bold=(r == 1))
        c.alignment = Alignment(wrap_text=True, vertical="top")
        # room for every wrapped line, counted for the narrowest rendering (Excel: about 66 letters a line)
        guide.row_dimensions[r].height = xlsxfast.row_height([line], [GUIDE_WIDTH * 0.9], line=16.0, minimum=17.0)
    guide.column_dimensions["A"].width = GUIDE_WIDTH
    guide.page_setup.paperSize = guide.PAPERSIZE_A4
    guide.page_setup.orientation = guide.ORIENTATION_PORTRAIT
    guide.page_setup.fitToWidth, guide.page_setup.fitToHeight = 1, 0
    guide.sheet_properties.pageSetUpPr.fitToPage = True
    guide.page_margins.left = guide.page_margins.right = 0.6
    guide.print_area = f"A1:A{len(GUIDE)}"
    guide.protection.sheet = True
    meta = wb.create_sheet(META_SHEET)
    meta["A1"] = "x"
    meta.sheet_state = "veryHidden"
    for key in PROPS:
        wb.custom_doc_props.append(StringProperty(name=key, value="x"))
    wb.active = 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class _Template:
    def __init__(self, year: int | None):
        self.parts = xlsxfast.read_parts(_skeleton(year))
        self.heights: dict[tuple, float] = {}  # a task row's values → its height (`render`)
        paths = xlsxfast.sheet_paths(self.parts)
        self.report_part, self.meta_part = paths[FORM_SHEET], paths[META_SHEET]
        xml = self.parts[self.report_part].decode("utf-8")
        self.styles = xlsxfast.styles_of(xml)
        self.prefix, self.suffix = xlsxfast.split_sheet(xml)
        self.header_row = re.search(rf'<row r="{HEADER_ROW}".*?</row>', xml, re.S).group(0)
        self.meta_prefix, self.meta_suffix = xlsxfast.split_sheet(self.parts[self.meta_part].decode("utf-8"))
        last = FIRST_ROW + 3 + EXTRA_ROWS - 1
        input_ranges = [f"{c}{FIRST_ROW}:{c}{last}" for c in INPUT_COLUMNS]
        overdue = (f"A{FIRST_ROW}:E{FIRST_ROW}", f"F{FIRST_ROW}:J{FIRST_ROW}")
        for needle in (*input_ranges, *overdue, f"A{FIRST_ROW + 2}:J{FIRST_ROW + 2}"):
            if self.suffix.count(needle) != 1:
                raise RuntimeError(f"report skeleton: range {needle} not found once")
        self.last_template_row = last

    def style(self, ref: str) -> int | None:
        return self.styles.get(ref)

    def render(self, title: list[str], rows: list[list[object]], dues: list[date | None]) -> str:
        n = len(rows)
        task_styles = [self.style(f"{xlsxfast.col_letter(i)}{FIRST_ROW}") for i in range(1, 12)]
        extra_styles = [self.style(f"{xlsxfast.col_letter(i)}{FIRST_ROW + 3}") for i in range(1, 11)]
        out = ["<sheetData>"]
        for r, line in enumerate(title, start=1):
            ht = 24 if r == 1 else xlsxfast.row_height([line], [sum(WIDTHS[:10])])
            out.append(xlsxfast.row(r, [line], [self.style(f"A{r}")], attrs=f' ht="{ht}" customHeight="1"'))
        out.append(
            self.header_row.replace(f'<row r="{HEADER_ROW}"', f'<row r="{HEADER_ROW}" ht="36" customHeight="1"', 1)
        )
        heights = self.heights  # many units share a task's text: measure it once for them all
        widths = list(WIDTHS)
        for i, (values, due) in enumerate(zip(rows, dues, strict=True)):
            key = tuple(values)
            ht = heights.get(key)
            if ht is None:
                ht = xlsxfast.row_height(values, widths)
                if len(heights) < 50_000:
                    heights[key] = ht
            out.append(xlsxfast.row(FIRST_ROW + i, [*values, due], task_styles, attrs=f' ht="{ht}" customHeight="1"'))
        title_row = FIRST_ROW + n + 1
        out.append(xlsxfast.row(title_row, [EXTRA_TITLE], [self.style(f"A{FIRST_ROW + 2}")]))
        for r in range(title_row + 1, title_row + 1 + EXTRA_ROWS):
            out.append(xlsxfast.row(r, [""] * 10, extra_styles, attrs=' ht="32" customHeight="1"'))
        out.append("</sheetData>")
        last = title_row + EXTRA_ROWS
        suffix = self.suffix
        for c in INPUT_COLUMNS:
            suffix = suffix.replace(f"{c}{FIRST_ROW}:{c}{self.last_template_row}", f"{c}{FIRST_ROW}:{c}{last}")
        for a, b in (("A", "E"), ("F", "J")):  # the overdue highlight covers every task row
            suffix = suffix.replace(f"{a}{FIRST_ROW}:{b}{FIRST_ROW}", f"{a}{FIRST_ROW}:{b}{FIRST_ROW + max(n, 1) - 1}")
        suffix = suffix.replace(f"A{FIRST_ROW + 2}:J{FIRST_ROW + 2}", f"A{title_row}:J{title_row}")
        prefix = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:K{last}"/>', self.prefix)
        return prefix + "".join(out) + suffix

    def meta(self, items: list[tuple[str, str]]) -> str:
        rows = [xlsxfast.row(r, [k, v], [None, None]) for r, (k, v) in enumerate(items, start=1)]
        prefix = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:B{len(items)}"/>', self.meta_prefix)
        return prefix + "<sheetData>" + "".join(rows) + "</sheetData>" + self.meta_suffix


# --- generate ----------------------------------------------------------------------------------
def previous_answers(summary, period: Period) -> dict[tuple[str, str], list[object]]:
    """(task, unit) → the five answers of the latest period before `period`."""
    best: dict[tuple[str, str], tuple[tuple, list[object]]] = {}
    current = (period.end, period.end - period.start)
    for row in summary:
        key = period_key(str(row.period))
        if key >= current:
            continue
        k = (str(row.task), str(row.unit))
        if k not in best or key > best[k][0]:
            best[k] = (key, [row.status, row.done, row.result, row.difficulty, row.proposal])
    return {k: v for k, (_, v) in best.items()}


def plan_title(plan: Plan) -> str:
    info = plan.info
    parts = [str(info.get("Tên loại") or "Kế hoạch")]
    if info.get("Số ký hiệu"):
        parts.append(f"số {info['Số ký hiệu']}")
    d = info.get("Ngày ban hành")
    if isinstance(d, date):
        parts.append(f"ngày {d:%d/%m/%Y}")
    title = " ".join(parts)
    if info.get("Trích yếu"):
        title += f" – {info['Trích yếu']}"
    return title


def generate(
    master: Master | Path,
    period: str,
    out_dir: Path,
    units: list[str] | None = None,
    due: date | None = None,
    now: datetime | None = None,
    wait: float = 0.0,
) -> GenerateResult:
    """Write one form workbook per unit with tasks, a manifest, and record them as sent."""
    out_dir = Path(out_dir)
    p = parse_period(period)
    now = times.local(now) if now else times.now()
    with hold(master, wait) as m:
        return _generate(m, p, out_dir, units, due, now)


def _generate(
    m: Master, p: Period, out_dir: Path, units: list[str] | None, due: date | None, now: datetime
) -> GenerateResult:
    plan = m.plan
    plan_id = m.plan_id
    if not plan_id:
        raise CcpkhError("Sổ theo dõi chưa có 'Mã kế hoạch'. Chạy 'ccpkh-excel check' một lần để sinh mã.", m.path)
    records = m.records
    assignments = build_assignments(plan)
    by_unit: dict[str, list] = {}
    for a in assignments:
        by_unit.setdefault(a.unit, []).append(a)
    wanted = list(dict.fromkeys(units)) if units else [u.code for u in plan.units if u.code in by_unit]
    codes = {u.code for u in plan.units}
    unknown = [c for c in wanted if c not in codes]
    if unknown:
        raise CcpkhError(f"Không có đơn vị mã {', '.join(unknown)} trong sheet Đơn vị.", m.path)
    result = GenerateResult(p, out_dir)
    result.skipped = [c for c in wanted if c not in by_unit]
    due = due or (p.end + timedelta(days=5))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CcpkhError(f"không tạo được thư mục phiếu ({os_reason(exc)}); sổ giữ nguyên.", out_dir) from exc
    tasks = {t.code: t for t in plan.tasks}
    order = {t.code: i for i, t in enumerate(plan.tasks)}
    prefill = previous_answers(records.summary, p)
    try:
        template = _Template(plan.year)
    except OSError as exc:  # the skeleton is made in memory; a library may still write a temporary file
        raise CcpkhError(f"không tạo được mẫu phiếu ({os_reason(exc)}); sổ giữ nguyên.", m.path) from exc
    contact = clean(plan.info.get("Đầu mối liên hệ") or plan.info.get("Cơ quan ban hành") or "")
    units_by_code = {u.code: u for u in plan.units}
    stamp = times.to_w3cdtf(now)
    core = re.sub(
        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)",
        rb"\g<1>" + stamp.encode() + rb"\g<2>",
        template.parts["docProps/core.xml"],
    )
    secret, taken = m.ensure_secret(), set()
    failed: dict[str, str] = {}
    for code in wanted:
        if code not in by_unit:
            continue
        unit = units_by_code[code]
        mine = sorted(by_unit[code], key=lambda a: (order[a.task], a.role != LEAD))
        locked, rows, dues = [], [], []
        for a in mine:
            t = tasks[a.task]
            lk = [t.code, t.stt, t.content, a.role, t.deadline]
            locked.append(lk)
            rows.append(lk + list(prefill.get((t.code, code), ["", "", "", "", ""])))
            dues.append(t.due)
        title = [
            "PHIẾU BÁO CÁO TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH",
            f"Kế hoạch: {plan_title(plan)}",
            f"Đơn vị báo cáo: {unit.name} (mã {unit.code})",
            f"Kỳ báo cáo: {p.label}   —   Hạn gửi lại: {due:%d/%m/%Y}",
            f"Gửi về / liên hệ: {contact}",
            "Chỉ nhập vào các ô nền vàng (Trạng thái → Đề xuất, kiến nghị). Xem sheet Hướng dẫn.",
        ]
        identity = {
            "format": FORMAT,
            "version": VERSION,
            "plan": plan_id,
            "unit": code,
            "period": p.label,
            "due": f"{due:%Y-%m-%d}",
            "rows": str(len(locked)),
        }
        macs = [signing.row_mac(secret, plan_id, code, p.label, lk) for lk in locked]
        signature = signing.identity_mac(secret, identity, macs)
        meta = [*identity.items(), ("generated", f"{now:%Y-%m-%dT%H:%M:%S}"), ("signature", signature)]
        meta += [(lk[0], mac) for lk, mac in zip(locked, macs, strict=True)]
        props = {f"ccpkh_{k}": v for k, v in identity.items()} | {"ccpkh_signature": signature}
        parts = dict(template.parts)
        parts[template.report_part] = template.render(title, rows, dues).encode("utf-8")
        parts[template.meta_part] = template.meta(meta).encode("utf-8")
        parts["docProps/custom.xml"] = xlsxfast.custom_props_xml(props)
        parts["docProps/core.xml"] = core
        path = out_dir / form_file_name(code, unit.name, p, taken)
        try:
            xlsxfast.write_parts(parts, path)
        except OSError as exc:  # one unit's file: say so, go on with the others
            path.unlink(missing_ok=True)
            failed[code] = f"không ghi được tệp {path.name} ({os_reason(exc)})"
            continue
        result.files.append(UnitForm(code, unit.name, unit.email, path, len(rows)))
    result.failed = failed
    made = {f.code: f for f in result.files}
    listing = io.StringIO(newline="")
    w = csv.writer(listing)
    w.writerow(["Mã đơn vị", "Tên đơn vị", "Email", "Tệp", "Số nhiệm vụ", "Kỳ báo cáo", "Hạn gửi lại", "Ghi chú"])
    for code in wanted:
        unit = units_by_code[code]
        f = made.get(code)
        note = failed.get(code) or ("" if f else "không có nhiệm vụ nào: không tạo phiếu")
        row = [code, unit.name, unit.email, f.file.name if f else "", f.tasks if f else 0, p.label]
        w.writerow([csv_safe(v) for v in [*row, f"{due:%d/%m/%Y}", note]])
    sent = {(f.code, p.label) for f in result.files}
    kept = [r for r in records.returns if not ((r.unit, r.period) in sent and r.outcome == SENT)]  # re-sent
    already = {(r.unit, r.period) for r in kept if r.outcome != SENT and r.unit}
    for f in result.files:
        if (f.code, p.label) not in already:
            kept.append(
                ReturnRow(f.code, f.name, p.label, f.file.name, "", SENT, f.tasks, "", f"Hạn gửi lại {due:%d/%m/%Y}")
            )
    records.returns = kept
    note = f"{len(result.files)} phiếu kỳ {p.label}" + (
        f"; {len(failed)} đơn vị lỗi: {', '.join(failed)}" if failed else ""
    )
    m.log("Tạo phiếu", [f.file.name for f in result.files], note)
    m.save(records=records)  # the forms made are recorded as sent before the list is written
    manifest = out_dir / f"danh_sach_gui_{p.slug}.csv"
    try:
        replace_with(manifest, listing.getvalue().encode("utf-8-sig"))
    except OSError as exc:
        raise CcpkhError(
            f"đã tạo {len(result.files)} phiếu và ghi vào sổ, nhưng không ghi được danh sách gửi "
            f"({os_reason(exc)}); danh sách cũ (nếu có) giữ nguyên. Giải phóng chỗ trống rồi chạy lại lệnh.",
            manifest,
        ) from exc
    result.manifest = manifest
    return result
