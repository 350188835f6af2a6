"""The Thống kê sheet of the master: live formulas over Tổng hợp and Phân công, two native
charts, and the "Đánh giá" formula of each Tổng hợp row — the status rule of
`ccpkh_excel.domain.status` written as Excel formulas, so the figures stay right when a
clerk fixes a cell by hand. A test recalculates them in LibreOffice and compares.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from ccpkh_excel.domain.periods import ROMAN
from ccpkh_excel.domain.plan import Plan, build_assignments
from ccpkh_excel.domain.status import (
    DONE,
    IN_PROGRESS,
    LATE,
    NO_FIELD,
    NOT_REPORTED,
    ON_TIME,
    OVERDUE,
)
from ccpkh_excel.domain.units import LEAD
from ccpkh_excel.store import xlsxfast
from ccpkh_excel.store.schema import STATS

if TYPE_CHECKING:  # openpyxl is loaded when the sheet is built, not by the record writer's imports
    from openpyxl.chart import BarChart

PERIOD_CELL, AS_OF_CELL = "B2", "B3"
_REF_ASOF = f"'{STATS}'!$B$3"


def row_formula(n: int, *value) -> xlsxfast.Formula:
    """The "Đánh giá" formula of Tổng hợp row n (F status, G done, K saved, M due), with its
    computed value when given (`formula_values.summary_evaluation`)."""
    done_day = f'IF(G{n}<>"",G{n},INT(K{n}))'
    return xlsxfast.Formula(
        f'IF(F{n}="{DONE}",IF(M{n}="","{ON_TIME}",IF({done_day}<=M{n},"{ON_TIME}","{LATE}")),'
        f'IF(AND(M{n}<>"",{_REF_ASOF}>M{n}),"{OVERDUE}","{IN_PROGRESS}"))',
        *value,
    )


# --- the Thống kê sheet ---------------------------------------------------------------------
FIELD_HEADERS = ("Lĩnh vực", "Số nhiệm vụ", ON_TIME, LATE, IN_PROGRESS, OVERDUE, NOT_REPORTED, "Tỷ lệ hoàn thành (%)")
UNIT_HEADERS = (
    "Mã đơn vị",
    "Tên đơn vị",
    "Số nhiệm vụ chủ trì",
    ON_TIME,
    LATE,
    IN_PROGRESS,
    OVERDUE,
    NOT_REPORTED,
    "Tỷ lệ hoàn thành (%)",
)
TASK_HEADERS = (
    "Mã NV",
    "Lĩnh vực",
    "Hạn hoàn thành",
    "Số đơn vị chủ trì",
    "Đã hoàn thành",
    "Hoàn thành trễ",
    "Đã báo cáo",
    "Trạng thái chung",
)


_WIDTHS = (34, 34, 14, 14, 14, 14, 12, 20, 14)  # A … I
HELPER_COLUMN = 40  # AN: a unit's tasks past due at the as-of date (hidden)


@dataclass
class StatsLayout:
    """Where each block of Thống kê sits, so tests and the Word report can find the cells."""

    field_first: int
    field_last: int
    total_row: int
    unit_first: int
    unit_last: int
    task_first: int
    task_last: int


def layout(n_fields: int, n_units: int, n_tasks: int) -> StatsLayout:
    f1 = 8
    total = f1 + n_fields
    u1 = total + 4
    t1 = u1 + n_units + 3
    return StatsLayout(f1, total - 1, total, u1, u1 + n_units - 1, t1, t1 + n_tasks - 1)


def _period_choices(plan: Plan) -> list[str]:
    y = plan.year or date.today().year
    return [f"Quý {r}/{y}" for r in ROMAN] + [f"6 tháng đầu năm {y}", f"Năm {y}"]


def write_stats_sheet(wb, plan: Plan, period: str | None = None, as_of: date | None = None) -> StatsLayout:
    """(Re)build Thống kê: live formulas over Tổng hợp and Phân công, and two native charts."""
    from openpyxl.chart import Reference
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    head_font = Font(name="Times New Roman", bold=True, size=12, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E78")
    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font = Font(name="Times New Roman", size=12)
    keep_period, keep_as_of = period, as_of
    if STATS in wb.sheetnames:
        old = wb[STATS]
        keep_period = keep_period or old[PERIOD_CELL].value
        v = old[AS_OF_CELL].value
        keep_as_of = keep_as_of or (v.date() if isinstance(v, datetime) else v if isinstance(v, date) else None)
        index = wb.sheetnames.index(STATS)
        del wb[STATS]
    else:
        index = len(wb.sheetnames)
    ws = wb.create_sheet(STATS, index)
    choices = _period_choices(plan)
    fields = list(dict.fromkeys(t.field or NO_FIELD for t in plan.tasks))
    assignments = build_assignments(plan)
    leading = {a.unit for a in assignments if a.role == LEAD}
    lead_units = [u for u in plan.units if u.code in leading]
    dues = {t.code: t.due for t in plan.tasks}
    dated: dict[str, list[tuple[str, date]]] = {}  # unit → its lead tasks with a due date
    for a in assignments:
        if a.role == LEAD and dues.get(a.task) is not None:
            dated.setdefault(a.unit, []).append((a.task, dues[a.task]))
    lay = layout(len(fields), len(lead_units), len(plan.tasks))
    ws["A1"] = "THỐNG KÊ TÌNH HÌNH THỰC HIỆN KẾ HOẠCH CẢI CÁCH HÀNH CHÍNH"
    ws["A1"].font = Font(name="Times New Roman", bold=True, size=14)
    ws["A2"], ws[PERIOD_CELL] = "Kỳ báo cáo", str(keep_period or choices[0])
    ws["A3"], ws[AS_OF_CELL] = "Tính đến ngày", keep_as_of or date.today()
    ws[AS_OF_CELL].number_format = "dd/mm/yyyy"
    for c in ("A2", "A3"):
        ws[c].font = Font(name="Times New Roman", bold=True, size=12)
    for c in (PERIOD_CELL, AS_OF_CELL):
        ws[c].font = Font(name="Times New Roman", size=12, color="C00000", bold=True)
        ws[c].fill = PatternFill("solid", fgColor="FFF2CC")
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=False,
        showErrorMessage=False,
        showInputMessage=True,
        promptTitle="Kỳ báo cáo",
        prompt="Chọn kỳ để xem số liệu; lệnh merge tự đặt kỳ vừa tổng hợp.",
    )
    dv.add(PERIOD_CELL)
    ws.add_data_validation(dv)
    ws["A4"] = (
        "Mọi số liệu dưới đây là công thức trên sheet Tổng hợp và Phân công: sửa Tổng hợp thì số liệu "
        "tự cập nhật. Đổi kỳ ở ô B2, ngày tính ở ô B3."
    )
    ws["A4"].font = Font(name="Times New Roman", italic=True, size=11)

    def header(row: int, labels: tuple[str, ...], title: str) -> None:
        ws.cell(row=row - 1, column=1, value=title).font = Font(name="Times New Roman", bold=True, size=13)
        for i, h in enumerate(labels, start=1):
            c = ws.cell(row=row, column=i, value=h)
            c.font, c.fill, c.border = head_font, head_fill, border
            c.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.row_dimensions[row].height = 48

    def put(row: int, col: int, value, fmt: str | None = None) -> None:
        c = ws.cell(row=row, column=col, value=value)
        c.font, c.border = body_font, border
        c.alignment = Alignment(wrap_text=True, vertical="top")
        if fmt:
            c.number_format = fmt

    def fit(row: int, texts: tuple[str, ...]) -> None:
        """A row high enough for its wrapped names (LibreOffice does not grow it on open)."""
        widths = [1.2 * w for w in _WIDTHS]  # Times New Roman 12: about 1.25 letters per unit of width
        height = xlsxfast.row_height(list(texts), widths, line=15.0, minimum=15.0)
        if height > 20:
            ws.row_dimensions[row].height = height

    th, pc = "'Tổng hợp'", "'Phân công'"
    crit = f'{th}!$D:$D,"{LEAD}",{th}!$E:$E,$B$2'
    # 3. tasks
    t1, t2 = lay.task_first, lay.task_last
    header(t1 - 1, TASK_HEADERS, "3. Từng nhiệm vụ")
    for i, t in enumerate(plan.tasks):
        r = t1 + i
        put(r, 1, t.code)
        put(r, 2, t.field or NO_FIELD)
        fit(r, ("", t.field or NO_FIELD))
        put(r, 3, t.due, "dd/mm/yyyy")
        put(r, 4, f'=COUNTIFS({pc}!$A:$A,A{r},{pc}!$D:$D,"{LEAD}")')
        put(r, 5, f'=COUNTIFS({th}!$A:$A,A{r},{crit},{th}!$F:$F,"{DONE}")')
        put(r, 6, f'=COUNTIFS({th}!$A:$A,A{r},{crit},{th}!$N:$N,"{LATE}")')
        put(r, 7, f"=COUNTIFS({th}!$A:$A,A{r},{crit})")
        put(
            r,
            8,
            f'=IF(AND(D{r}>0,E{r}>=D{r}),IF(F{r}>0,"{LATE}","{ON_TIME}"),'
            f'IF(AND(C{r}<>"",$B$3>C{r}),"{OVERDUE}","{IN_PROGRESS}"))',
        )
    # 1. fields
    header(lay.field_first - 1, FIELD_HEADERS, "1. Theo lĩnh vực")
    rng = lambda col: f"${col}${t1}:${col}${max(t2, t1)}"  # noqa: E731
    for i, f in enumerate(fields):
        r = lay.field_first + i
        put(r, 1, f)
        fit(r, (f,))
        put(r, 2, f"=COUNTIF({rng('B')},A{r})")
        for col, st in zip((3, 4, 5, 6), (ON_TIME, LATE, IN_PROGRESS, OVERDUE), strict=True):
            put(r, col, f'=COUNTIFS({rng("B")},$A{r},{rng("H")},"{st}")')
        put(r, 7, f"=COUNTIFS({rng('B')},$A{r},{rng('G')},0)")
        put(r, 8, f"=IF(B{r}=0,0,ROUND(100*(C{r}+D{r})/B{r},1))", "0.0")
    r = lay.total_row
    put(r, 1, "Tổng cộng")
    ws.cell(row=r, column=1).font = Font(name="Times New Roman", bold=True, size=12)
    for col in range(2, 8):
        L = xlsxfast.col_letter(col)
        put(r, col, f"=SUM({L}{lay.field_first}:{L}{max(lay.field_last, lay.field_first)})" if fields else 0)
    put(r, 8, f"=IF(B{r}=0,0,ROUND(100*(C{r}+D{r})/B{r},1))", "0.0")
    # 2. units
    header(lay.unit_first - 1, UNIT_HEADERS, "2. Theo đơn vị chủ trì")
    helpers = 0
    for i, u in enumerate(lead_units):
        r = lay.unit_first + i
        put(r, 1, u.code)
        put(r, 2, u.name)
        fit(r, (u.code, u.name))
        put(r, 3, f'=COUNTIFS({pc}!$B:$B,A{r},{pc}!$D:$D,"{LEAD}")')
        for col, st in zip((4, 5), (ON_TIME, LATE), strict=True):
            put(r, col, f'=COUNTIFS({th}!$B:$B,$A{r},{crit},{th}!$N:$N,"{st}")')
        # overdue: its tasks past due at $B$3 (hidden helper: a sum over the plan's due dates) less
        # those it finished; Tổng hợp is read by date only when neither none nor all of its tasks are
        # past due and it finished some (and then only its own rows: the other criteria are plain)
        past = _past_due(dated.get(u.code, []))
        ws.cell(row=r, column=HELPER_COLUMN, value=past)
        helpers = 1
        pd, done = f"{xlsxfast.col_letter(HELPER_COLUMN)}{r}", f"(D{r}+E{r})"
        put(
            r,
            7,
            f"=IF(OR({pd}=0,{done}=0),{pd},IF({pd}=C{r},{pd}-{done},"
            f'{pd}-COUNTIFS({th}!$B:$B,$A{r},{crit},{th}!$F:$F,"{DONE}",{th}!$M:$M,"<"&$B$3)))',
        )
        put(r, 6, f"=C{r}-D{r}-E{r}-G{r}")
        put(r, 8, f"=C{r}-COUNTIFS({th}!$B:$B,$A{r},{crit})")
        put(r, 9, f"=IF(C{r}=0,0,ROUND(100*(D{r}+E{r})/C{r},1))", "0.0")
    for col, w in zip("ABCDEFGHI", _WIDTHS, strict=True):
        ws.column_dimensions[col].width = w
    for k in range(helpers):
        ws.column_dimensions[xlsxfast.col_letter(HELPER_COLUMN + k)].hidden = True
    below = 6  # the row under the last chart, so the next one does not cover it
    if fields:
        chart = _bar_chart("Tình hình thực hiện theo lĩnh vực", "Lĩnh vực", "Số nhiệm vụ")
        chart.grouping, chart.overlap = "stacked", 100
        data = Reference(
            ws, min_col=3, max_col=6, min_row=lay.field_first - 1, max_row=lay.field_last
        )  # the four classes
        chart.add_data(data, titles_from_data=True)
        _categories(chart, ws, 1, lay.field_first, lay.field_last)
        chart.height, chart.width = max(9.0, 1.1 * len(fields) + 5), 20
        chart.legend.position = "b"
        _label_values(chart, "ctr", "0;;;")  # a zero shows no label
        ws.add_chart(chart, f"K{below}")
        below = _row_below(lay, below, chart.height)
    if lead_units:
        chart = _bar_chart("Tỷ lệ hoàn thành theo đơn vị chủ trì (%)", "Đơn vị chủ trì", "Tỷ lệ hoàn thành (%)")
        chart.add_data(
            Reference(ws, min_col=9, min_row=lay.unit_first - 1, max_row=lay.unit_last), titles_from_data=True
        )
        _categories(chart, ws, 2, lay.unit_first, lay.unit_last)
        chart.height, chart.width = max(8.0, 0.7 * len(lead_units) + 4), 20
        chart.legend = None
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        _label_values(chart, "outEnd", "0.0")
        ws.add_chart(chart, f"K{max(below, lay.unit_first - 1)}")
    ws.freeze_panes = "A5"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return lay


def _past_due(tasks: list[tuple[str, date]]):
    """How many of a unit's lead tasks are past due at $B$3, from the plan's due dates: a sum of
    IF($B$3>date,n,0) over its distinct due dates."""
    counts: dict[date, int] = {}
    for _, due in tasks:
        counts[due] = counts.get(due, 0) + 1
    if not counts:
        return 0
    return "=" + "+".join(f"IF($B$3>{xlsxfast.serial(d)},{n},0)" for d, n in sorted(counts.items()))


def _bar_chart(title: str, categories: str, values: str) -> BarChart:
    """A horizontal bar chart whose axes Excel shows: openpyxl 3.1 leaves `<c:delete>` out
    of each axis, and Excel then hides it; here each axis says `delete val="0"` and has a title."""
    from openpyxl.chart import BarChart
    from openpyxl.chart.axis import ChartLines

    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.style = 10
    chart.x_axis.title, chart.y_axis.title = categories, values
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.x_axis.tickLblPos = chart.y_axis.tickLblPos = "nextTo"
    chart.y_axis.axPos = "b"
    chart.y_axis.majorGridlines = ChartLines()
    chart.y_axis.number_format = "0"
    return chart


def _label_values(chart: BarChart, position: str, number_format: str) -> None:
    """Each bar shows its figure."""
    from openpyxl.chart.label import DataLabelList

    for s in chart.series:
        s.dLbls = DataLabelList(showVal=True, showSerName=False, showCatName=False, showLegendKey=False)
        s.dLbls.dLblPos, s.dLbls.numFmt = position, number_format
    chart.dataLabels = DataLabelList(showVal=True)


def _categories(chart: BarChart, ws, col: int, first: int, last: int) -> None:
    """The bars' names (text: a string reference, as Excel writes it)."""
    from openpyxl.chart.data_source import AxDataSource, StrRef
    from openpyxl.utils import quote_sheetname

    ref = f"{quote_sheetname(ws.title)}!${xlsxfast.col_letter(col)}${first}:${xlsxfast.col_letter(col)}${last}"
    for s in chart.series:
        s.cat = AxDataSource(strRef=StrRef(f=ref))


_ROW_CM = 15 * 2.54 / 72  # a row of the default height (15 pt), in cm


def _row_below(lay: StatsLayout, top: int, height_cm: float) -> int:
    """The first row under a chart `height_cm` high anchored at row `top` (rows of default
    height, header rows 48 pt; rows that grow with wrapped text only add room)."""
    headers = {lay.field_first - 1, lay.unit_first - 1, lay.task_first - 1}
    r, room = top, 0.0
    while room < height_cm + 0.5:
        room += 48 * 2.54 / 72 if r in headers else _ROW_CM
        r += 1
    return r


def set_selection(sheet_xml: str, period: str, as_of: date) -> str:
    """Put a period and an as-of date into Thống kê's B2/B3 in its worksheet XML."""
    for ref, value in ((PERIOD_CELL, period), (AS_OF_CELL, as_of)):
        m = re.search(rf'<c r="{ref}"([^>]*?)(?:/>|>.*?</c>)', sheet_xml, re.S)
        if not m:
            continue
        style = re.search(r's="(\d+)"', m.group(1))
        new = xlsxfast.cell(ref, value, int(style.group(1)) if style else None)
        sheet_xml = sheet_xml[: m.start()] + new + sheet_xml[m.end() :]
    return sheet_xml


def chart_caches(zin, stats_part: str, sheet, values: dict) -> dict[str, str]:
    """Thống kê's chart parts with the figures they show cached (`<c:numCache>`, `<c:strCache>`),
    so a viewer that draws charts from the file alone shows the bars; Excel and LibreOffice
    read the ranges again. `sheet`: Thống kê's cells (`formula_values.read_sheet`), `values`:
    its formulas' values. Returns part name → new XML."""
    out = {}
    for part in _chart_parts(zin, stats_part):
        xml = zin.read(part).decode("utf-8")

        def cache(m: re.Match) -> str:
            p, kind, ref = m.group(1) or "", m.group(2), m.group(3)
            cells = _ref_cells(html.unescape(ref), sheet.name)
            if cells is None:
                return m.group(0)
            got = [values[rc] if rc in values else _constant(sheet, *rc) for rc in cells]
            pts = []
            for i, v in enumerate(got):
                if v is None or (kind == "num" and not isinstance(v, (int, float))):
                    continue
                shown = xlsxfast.number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)
                pts.append(f'<{p}pt idx="{i}"><{p}v>{xlsxfast.text(shown)}</{p}v></{p}pt>')
            head = f"<{p}formatCode>General</{p}formatCode>" if kind == "num" else ""
            body = f'{head}<{p}ptCount val="{len(got)}"/>' + "".join(pts)
            return f"<{p}{kind}Ref><{p}f>{ref}</{p}f><{p}{kind}Cache>{body}</{p}{kind}Cache></{p}{kind}Ref>"

        new = _REF.sub(cache, xml)
        new = re.sub(
            r"<((?:c:)?)numFmt formatCode=\"([^\"]*)\"\s*/>", r'<\1numFmt formatCode="\2" sourceLinked="0"/>', new
        )
        if new != xml:
            out[part] = new
    return out


_REF = re.compile(r"<((?:c:)?)(str|num)Ref>\s*<(?:c:)?f>(.*?)</(?:c:)?f>.*?</(?:c:)?\2Ref>", re.S)


def _chart_parts(zin, sheet_part: str) -> list[str]:
    """The chart parts drawn on a worksheet (through its drawing's relationships)."""

    def targets(part: str, kind: str) -> list[str]:
        folder, name = posixpath.split(part)
        try:
            rels = zin.read(f"{folder}/_rels/{name}.rels").decode("utf-8")
        except KeyError:
            return []
        found = []
        for m in re.finditer(r"<Relationship\b[^>]*>", rels):
            tag = m.group(0)
            t, target = re.search(r'Type="([^"]+)"', tag), re.search(r'Target="([^"]+)"', tag)
            if t and target and t.group(1).endswith("/" + kind):
                path = target.group(1)
                found.append(path.lstrip("/") if path.startswith("/") else posixpath.normpath(f"{folder}/{path}"))
        return found

    return [c for d in targets(sheet_part, "drawing") for c in targets(d, "chart")]


def _ref_cells(ref: str, sheet_name: str) -> list[tuple[int, int]] | None:
    """(row, column) of each cell of a reference to Thống kê ('Thống kê'!$C$8:$C$15)."""
    m = re.fullmatch(r"(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?", ref.strip())
    if not m or (m.group(1) or "").replace("''", "'") + (m.group(2) or "") != sheet_name:
        return None
    from ccpkh_excel.store.formula_values import col_index

    c1, r1 = col_index(m.group(3)), int(m.group(4))
    c2, r2 = (col_index(m.group(5)), int(m.group(6))) if m.group(5) else (c1, r1)
    return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _constant(sheet, r: int, c: int):
    col = sheet.column(c)
    return col[r - 1] if r - 1 < len(col) else None
