"""The record sheets of the master — Tổng hợp, Theo dõi nộp, Nhiệm vụ phát sinh, Nhật ký.

Rows are named tuples generated from the schema (``row.status``, ``row.outcome``), read with
python-calamine. They are written fast: each record sheet's worksheet XML is generated anew
and the workbook re-zipped part by part (never whole in memory), every other part copied as
it is. Only `Master.save` calls `write_records`, holding the run lock.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path

from ccpkh_excel.domain import times
from ccpkh_excel.domain.values import convert_each, remembered
from ccpkh_excel.errors import MasterError
from ccpkh_excel.store import processes, xlsxfast
from ccpkh_excel.store.lock import user_name
from ccpkh_excel.store.schema import EXTRA, LOG, MAIL, RECORD_SHEETS, RETURNS, STATS, SUMMARY, SheetSpec

SummaryRow = SUMMARY.row
ReturnRow = RETURNS.row
ExtraRow = EXTRA.row
LogRow = LOG.row
MailRow = MAIL.row


@dataclass
class Records:
    """Rows of the record sheets, each a named tuple of the sheet's stored columns."""

    summary: list[SummaryRow] = field(default_factory=list)
    returns: list[ReturnRow] = field(default_factory=list)
    extra: list[ExtraRow] = field(default_factory=list)
    log: list[LogRow] = field(default_factory=list)
    mail: list[MailRow] = field(default_factory=list)  # messages sent and received (Thư điện tử)

    def by_spec(self) -> dict[str, list[tuple]]:
        return {
            SUMMARY.name: self.summary,
            RETURNS.name: self.returns,
            EXTRA.name: self.extra,
            LOG.name: self.log,
            MAIL.name: self.mail,
        }


def log_row(action: str, files: list[str], outcome: str, when: datetime | None = None) -> LogRow:
    return LogRow(when or times.now(), user_name(), action, "; ".join(files), outcome)


# --- writing -----------------------------------------------------------------------------
def _column_styles(sheet_xml: str, ncol: int) -> tuple[list[int | None], list[int | None]]:
    """Header and body style of each column, read from rows 1 and 2 of the sheet."""
    styles = xlsxfast.styles_of(sheet_xml)
    head = [styles.get(f"{xlsxfast.col_letter(i)}1") for i in range(1, ncol + 1)]
    body = [styles.get(f"{xlsxfast.col_letter(i)}2") for i in range(1, ncol + 1)]
    return head, body


def _frame(sheet_xml: str, spec: SheetSpec, count: int) -> tuple[str, list[int | None], str]:
    """(the XML before the body rows — with the header row —, the body's column styles, the
    XML after them) of the sheet rewritten with `count` body rows."""
    ncol = len(spec.columns)
    head, body = _column_styles(sheet_xml, ncol)
    prefix, suffix = xlsxfast.split_sheet(sheet_xml)
    ref = f"A1:{xlsxfast.col_letter(ncol)}{count + 1}"
    prefix = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>', prefix)
    suffix = re.sub(r'<autoFilter ref="[^"]*"', f'<autoFilter ref="{ref}"', suffix)
    return prefix + "<sheetData>" + xlsxfast.row(1, spec.headers, head), body, "</sheetData>" + suffix


def render_chunks(sheet_xml: str, spec: SheetSpec, rows, count: int):
    """The sheet's XML in pieces, its rows replaced by `rows` (an iterable of `count` rows);
    header and column styles are kept from the sheet's first two rows."""
    if not count:
        rows, count = [[""] * len(spec.columns)], 1  # a styled blank row keeps the styles for next time
    start, body, end = _frame(sheet_xml, spec, count)
    yield start
    batch = []
    for r, values in enumerate(rows, start=2):
        batch.append(xlsxfast.row(r, list(values), body))
        if len(batch) == 1000:
            yield "".join(batch)
            batch = []
    yield "".join(batch) + end


SUMMARY_PARALLEL_FROM = 50_000  # Tổng hợp rows: from here its XML is made by several processes
SUMMARY_SLICE = 20_000  # rows a worker makes at a time (the parent holds a few slices at most)


def summary_chunks(sheet_xml: str, rows: list[SummaryRow], dues, evaluations) -> Iterator[bytes]:
    """Tổng hợp's XML (UTF-8) with `rows`: `render_chunks` of `summary_rows`, its body made in
    slices by forked workers when it is large (`store.processes`) — the same bytes either way."""
    count = len(rows)
    n = processes.workers(count, SUMMARY_PARALLEL_FROM) if count else 1
    if n <= 1:
        for chunk in render_chunks(sheet_xml, SUMMARY, summary_rows(rows, dues, evaluations), count):
            yield chunk.encode("utf-8")
        return
    start, body, end = _frame(sheet_xml, SUMMARY, count)
    yield start.encode("utf-8")
    slices = [(a, min(a + SUMMARY_SLICE, count)) for a in range(0, count, SUMMARY_SLICE)]
    yield from processes.fork_map(_summary_slice, slices, n, (rows, dues, evaluations, body))
    yield end.encode("utf-8")


def _summary_slice(bounds: tuple[int, int]) -> bytes:
    rows, dues, evaluations, body = processes.state()
    a, b = bounds
    out = [xlsxfast.row(n, v, body) for n, v in enumerate(summary_rows(rows, dues, evaluations, a, b), start=a + 2)]
    return "".join(out).encode("utf-8")


def summary_rows(
    rows: list[SummaryRow],
    dues: dict[str, date | None],
    evaluations: list | None = None,
    start: int = 0,
    stop: int | None = None,
):
    """Tổng hợp rows as written (rows[start:stop]): the stored columns, the task's due date,
    the live evaluation (with its computed value when `evaluations` gives it)."""
    from ccpkh_excel.store.stats_sheet import row_formula

    col = xlsxfast.col_letter(len(SUMMARY.columns))
    ref = f"{col}2:{col}{max(len(rows), 1) + 1}"
    for n, r in enumerate(rows[start:stop], start=start + 2):
        value = xlsxfast.UNKNOWN if evaluations is None else evaluations[n - 2]
        # one shared formula down the column (as Excel writes a filled-down formula): the
        # text once, not a few hundred bytes on each of hundreds of thousands of rows
        f = xlsxfast.SharedFormula(0, value, str(row_formula(2)), ref) if n == 2 else xlsxfast.SharedFormula(0, value)
        yield [*r, dues.get(str(r.task)) or "", f]


def _summary_sheet(rows: list[SummaryRow], dues: dict[str, date | None], evaluations: list):
    """Tổng hợp as the formulas of Thống kê read it (each column made when first asked for)."""
    from ccpkh_excel.store.formula_values import Sheet, excel_value

    sheet = Sheet(SUMMARY.name, max_row=max(len(rows) + 1, 2))
    headers, stored = SUMMARY.headers, SUMMARY.stored

    def column(i: int):
        def make() -> list:
            if i < stored:
                body = convert_each(list(map(itemgetter(i), rows)), excel_value)
            elif i == stored:
                body = [excel_value(dues.get(str(r.task)) or "") for r in rows]
            else:
                body = list(evaluations)
            return [headers[i], *body]

        return make

    for i in range(len(headers)):
        sheet.columns[i + 1] = column(i)
    return sheet


def _shared_strings(zin: zipfile.ZipFile):
    """The workbook's shared strings, read when first needed and then kept."""
    from ccpkh_excel.store.formula_values import shared_strings

    kept: list[list[str]] = []

    def get() -> list[str]:
        if not kept:
            try:
                xml = zin.read("xl/sharedStrings.xml").decode("utf-8")
            except KeyError:
                xml = ""
            kept.append(shared_strings(xml))
        return kept[0]

    return get


# --- a plan sheet's rows, streamed -------------------------------------------------------------
def render_table_chunks(sheet_xml: str, spec: SheetSpec, rows: list, last_col: str):
    """A plan sheet as openpyxl wrote it with one body row (its styles, table, protection), its
    body replaced by `rows`: row 1 kept as written, every body cell styled as row 2."""
    ncol = len(spec.columns)
    _, body = _column_styles(sheet_xml, ncol)
    prefix, suffix = xlsxfast.split_sheet(sheet_xml)
    first = re.search(r'<row r="1"(?:\s[^>]*)?(?<!/)>.*?</row>|<row r="1"(?:\s[^>]*)?/>', sheet_xml, re.S)
    count = max(len(rows), 1)
    if not rows:
        rows = [[""] * ncol]  # a table needs a body row: a styled blank one, as openpyxl writes it
    prefix = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last_col}{count + 1}"/>', prefix, count=1)
    yield prefix + "<sheetData>" + (first.group(0) if first else "")
    batch = []
    for r, values in enumerate(rows, start=2):
        batch.append(xlsxfast.row(r, list(values), body))
        if len(batch) == 1000:
            yield "".join(batch)
            batch = []
    yield "".join(batch) + "</sheetData>" + suffix


def _table_part(zin: zipfile.ZipFile, sheet_part: str) -> str | None:
    """The table part of a worksheet (the first one it lists), None when it has none."""
    folder, name = sheet_part.rsplit("/", 1)
    try:
        rels = zin.read(f"{folder}/_rels/{name}.rels").decode("utf-8")
    except KeyError:
        return None
    m = re.search(r'<Relationship\b[^>]*Type="[^"]*/table"[^>]*/>', rels)
    t = m and re.search(r'Target="([^"]+)"', m.group(0))
    if not t:
        return None
    target = t.group(1)
    if target.startswith("/"):
        return target.lstrip("/")
    parts = folder.split("/")
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _table_ref(xml: str, ref: str) -> str:
    """A table part's range (and its filter's) set to `ref`."""
    xml = re.sub(r'(<table\b[^>]*?\sref=")[^"]*"', rf'\g<1>{ref}"', xml, count=1)
    return re.sub(r'(<autoFilter\b[^>]*?\sref=")[^"]*"', rf'\g<1>{ref}"', xml, count=1)


def _as_written(value: object) -> object:
    """A value as the formulas read it once `xlsxfast.cell` has written it."""
    from ccpkh_excel.store.formula_values import excel_value

    if isinstance(value, str) and not isinstance(value, xlsxfast.Formula):
        value = xlsxfast.written_text(value)
    return excel_value(value)


def _sheet_from_rows(name: str, sheet_xml: str, strings, rows: list, body: list):
    """A plan sheet as the formulas will read it once `render_table_chunks` has written it:
    row 1 as written, the body from `rows`."""
    from ccpkh_excel.store import formula_values as fv

    sheet = fv.read_sheet(name, sheet_xml, strings)
    first = {c: (col[:1] or [None]) for c, col in ((c, sheet.column(c)) for c in list(sheet.columns))}
    sheet.formulas = {rc: f for rc, f in sheet.formulas.items() if rc[0] == 1}
    width = max(map(len, rows), default=0)
    sheet.columns = dict(first)
    written = remembered(_as_written)  # codes, names and roles repeat down the sheet
    if rows and min(map(len, rows)) == width:  # the usual case: a table, every row as wide
        for c, values in enumerate(zip(*rows, strict=True), start=1):
            sheet.columns[c] = first.get(c, [None]) + convert_each(values, written)
    else:
        for c in range(1, width + 1):
            head = first.get(c, [None])
            sheet.columns[c] = head + [written(r[c - 1]) if c - 1 < len(r) else None for r in rows]
    styled = any(body)
    if rows and styled:
        sheet.max_row = len(rows) + 1
    else:
        filled = [i for i, r in enumerate(rows, start=2) if any(written(v) is not None for v in r)]
        sheet.max_row = max([1 if first else 0, *filled, 2 if styled else 0])
    return sheet


def _evaluations(summary: list[SummaryRow], dues: dict[str, date | None], as_of: object) -> list:
    """`formula_values.summary_evaluation` of every Tổng hợp row; rows of one return share
    their inputs, so each distinct set is computed once (keyed with the values' types: 1 and
    True, a date and a datetime stay apart)."""
    from ccpkh_excel.store.formula_values import summary_evaluation

    known: dict[tuple, object] = {}
    out = []
    for r in summary:
        due = dues.get(str(r.task)) or ""
        key = (type(r.status), r.status, type(r.done), r.done, type(r.saved), r.saved, type(due), due)
        try:
            value = known[key]
        except KeyError:
            value = known[key] = summary_evaluation(r.status, r.done, r.saved, due, as_of)
        except TypeError:  # an unhashable value: compute it as it is
            value = summary_evaluation(r.status, r.done, r.saved, due, as_of)
        out.append(value)
    return out


def _assign_sheet(source: Path, zin: zipfile.ZipFile, part: str, strings):
    """Phân công as the formulas read it: a province's hundreds of thousands of rows read by
    python-calamine when they are plain constants (`formula_values.read_plain_sheet`), else by
    `formula_values.read_sheet`."""
    from python_calamine import CalamineWorkbook

    from ccpkh_excel.store import formula_values as fv
    from ccpkh_excel.store.schema import ASSIGN

    xml = zin.read(part)

    def rows() -> list[list]:
        with open(source, "rb") as fh:
            return CalamineWorkbook.from_filelike(fh).get_sheet_by_name(ASSIGN.name).to_python(skip_empty_area=False)

    def strings_xml() -> bytes:
        try:
            return zin.read("xl/sharedStrings.xml")
        except KeyError:
            return b""

    sheet = fv.read_plain_sheet(ASSIGN.name, xml, rows, strings_xml)
    return sheet if sheet is not None else fv.read_sheet(ASSIGN.name, xml.decode("utf-8"), strings)


def write_records(
    source: Path,
    target: Path,
    records: Records,
    dues: dict[str, date | None],
    stats: tuple[str, date] | None = None,
    tables: dict[SheetSpec, list] | None = None,
    known: dict[SheetSpec, list] | None = None,
) -> None:
    """Write `source` to `target` with the record sheets replaced by `records`.

    `known` (spec → rows): plan sheets copied as they are, whose rows the caller has already
    read from `source` — the formulas read those instead of reading the sheet again.

    `tables` (spec → rows): plan sheets that openpyxl wrote with one body row (their styles,
    table and protection), whose body is written here, streamed — Phân công's hundreds of
    thousands of rows.

    workbook.xml asks for a recalculation on open; `stats` (period, as-of date) goes into
    Thống kê's selection cells; `dues` gives each task's due date for Tổng hợp. Every formula
    (Tổng hợp's "Đánh giá", all of Thống kê) is written with its computed value
    (`formula_values`), so readers that do not calculate show the figures too.
    """
    from ccpkh_excel.store import formula_values as fv
    from ccpkh_excel.store.schema import ASSIGN
    from ccpkh_excel.store.stats_sheet import AS_OF_CELL, chart_caches, set_selection

    tables = tables or {}
    with zipfile.ZipFile(source) as zin:
        sheets = xlsxfast.sheet_paths(zin)
        for spec in RECORD_SHEETS:
            if spec.name not in sheets:
                raise MasterError(
                    f"thiếu sheet '{spec.name}'. Chạy 'ccpkh-excel check' một lần để bổ sung các sheet còn thiếu.",
                    target,
                )
        data = records.by_spec()
        strings = _shared_strings(zin)
        stats_part = sheets.get(STATS)
        stats_xml = zin.read(stats_part).decode("utf-8") if stats_part else None
        if stats_xml is not None and stats is not None:
            stats_xml = set_selection(stats_xml, *stats)
        summary = data[SUMMARY.name]
        evaluations = None
        parts: dict[str, str] = {}
        if stats_xml is not None:
            stats_sheet = fv.read_sheet(STATS, stats_xml, strings)
            as_of = fv.Book([stats_sheet]).value(STATS, int(AS_OF_CELL[1:]), fv.col_index(AS_OF_CELL[0]))
            evaluations = _evaluations(summary, dues, as_of)
            book = [stats_sheet, _summary_sheet(summary, dues, evaluations)]
            assigned = tables.get(ASSIGN, (known or {}).get(ASSIGN))  # Phân công's rows as written
            if ASSIGN.name in sheets and assigned is not None:
                frame = sheet_frame(zin, sheets[ASSIGN.name])  # row 1, and row 2's styles
                body = _column_styles(frame, len(ASSIGN.columns))[1]
                book.append(_sheet_from_rows(ASSIGN.name, frame, strings, assigned, body))
            elif ASSIGN.name in sheets:
                book.append(_assign_sheet(source, zin, sheets[ASSIGN.name], strings))
            values = fv.sheet_values(fv.Book(book), stats_sheet)
            parts[stats_part] = fv.put_values(stats_xml, values)
            parts.update(chart_caches(zin, stats_part, stats_sheet, values))
        targets = {}
        for spec in RECORD_SHEETS:
            rows = data[spec.name]
            targets[sheets[spec.name]] = (spec, rows, len(rows))
        streamed = {}
        for spec, rows in tables.items():
            if spec.name not in sheets:
                raise MasterError(f"thiếu sheet '{spec.name}'.", target)
            part = sheets[spec.name]
            m = re.search(r'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)\d+"', zin.read(part).decode("utf-8"))
            last_col = max(m.group(1) if m else "A", xlsxfast.col_letter(len(spec.columns)), key=xlsxfast.col_number)
            streamed[part] = (spec, rows, last_col)
            table = _table_part(zin, part)
            if table and table in zin.NameToInfo:
                ref = f"A1:{xlsxfast.col_letter(len(spec.columns))}{max(len(rows), 1) + 1}"
                parts[table] = _table_ref(zin.read(table).decode("utf-8"), ref)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            for info in zin.infolist():
                name = info.filename
                if name in targets:
                    spec, rows, count = targets[name]
                    with zout.open(name, "w") as fh:
                        if spec is SUMMARY:
                            for data in summary_chunks(sheet_frame(zin, name), rows, dues, evaluations):
                                fh.write(data)
                        else:
                            for chunk in render_chunks(sheet_frame(zin, name), spec, rows, count):
                                fh.write(chunk.encode("utf-8"))
                elif name in streamed:
                    spec, rows, last_col = streamed[name]
                    with zout.open(name, "w") as fh:
                        for chunk in render_table_chunks(zin.read(name).decode("utf-8"), spec, rows, last_col):
                            fh.write(chunk.encode("utf-8"))
                elif name == "xl/workbook.xml":
                    zout.writestr(name, _recalc_on_load(zin.read(name).decode("utf-8")))
                elif name in parts:
                    zout.writestr(name, parts[name])
                elif info.file_size > _FRAME_CHUNK:  # a big sheet copied as it is: streamed, never whole
                    with zin.open(info) as src, zout.open(name, "w") as dst:
                        shutil.copyfileobj(src, dst, _FRAME_CHUNK)
                else:
                    zout.writestr(name, zin.read(name))


_FRAME_CHUNK = 1 << 20
_ROW3 = b'<row r="3"'
_END_DATA = b"</sheetData>"


def sheet_frame(zin: zipfile.ZipFile, name: str) -> str:
    """A worksheet's XML without its rows after row 2: what surrounds the rows, and rows 1 and 2
    (whose cells give the header's and the body's styles) — all `render_chunks` needs. Read
    streamed: a sheet of hundreds of thousands of rows is never held whole (unless its rows are
    written in an order or form this does not recognise: then it is read whole, as before)."""
    head = bytearray()
    tail = b""
    cut = -1
    with zin.open(name) as fh:
        while True:
            chunk = fh.read(_FRAME_CHUNK)
            if not chunk:
                break
            if cut < 0:
                head += chunk
                cut = head.find(_ROW3)
                if cut >= 0:
                    tail = bytes(head[cut:])[-2 * _FRAME_CHUNK :]
                    del head[cut:]
            else:
                tail = (tail + chunk)[-2 * _FRAME_CHUNK :]
    if cut < 0:
        return head.decode("utf-8")
    end = tail.rfind(_END_DATA)
    if end < 0:  # what follows the rows is larger than the window kept: read it whole
        return zin.read(name).decode("utf-8")
    return head.decode("utf-8") + tail[end:].decode("utf-8")


def _recalc_on_load(wbxml: str) -> str:
    """The statistics are formulas: ask Excel to recalculate them when the file opens."""
    if "fullCalcOnLoad" in wbxml:
        return wbxml
    if "<calcPr" in wbxml:
        return re.sub(r"<calcPr([^/]*)/>", r'<calcPr\1 fullCalcOnLoad="1"/>', wbxml, count=1)
    return wbxml.replace("</workbook>", '<calcPr fullCalcOnLoad="1"/></workbook>')
