"""A strict stand-in for the few xlwings Book/Sheet/Range/Table/App calls of
ccpkh_excel.frontends.macros, behaving as Excel does where Excel would hurt us.

There is no Excel here: the "open book" is the workbook file loaded with openpyxl, changed
cell by cell as Excel would change it, and written by `save()` as Excel's Save would.
Modelled strictly, each after documented Excel/xlwings behaviour (`test_excel_strict.py`):

- a write to (or clearing of) a locked cell of a protected sheet raises `ComError` carrying
  Excel's error 1004 (0x800A03EC), and writes nothing; cells are locked unless their style
  says unlocked; `sheet.api.Unprotect(password)` / `sheet.api.Protect(...)` as in Excel's
  object model (the password is ignored when the sheet has none);
- a string written to a cell not formatted as Text ("@") is converted as Excel converts
  typed input: '1' -> 1, '01/6/2026' -> a date (day first, as on a Vietnamese Windows),
  '1.1' -> 1.1, 'TRUE' -> True, '=…' -> a formula; a leading apostrophe keeps the rest as text;
- an Excel table (ListObject) keeps its range when cells around it are written, until
  `sheet.tables[name].resize(range)`;
- a chart's series (`sheet.api.ChartObjects(i).Chart.SeriesCollection(j).Formula`) keeps its
  ranges when cells are written; setting a =SERIES(...) formula that names no range of a sheet of
  the book, or on a sheet protected with its objects, raises 1004;
- numbers are read back as floats (formulas as their text: there is no calculation here), and a one-row or one-column range reads as a flat list,
  a single cell as a scalar (xlwings' default converter).

`test_macros.py` checks every method here against xlwings' own signatures.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

XL_ERROR_1004 = -2146827284  # 0x800A03EC: Excel's "Application-defined or object-defined error"
DISP_E_EXCEPTION = -2147352567


class ComError(Exception):
    """Shaped like pywintypes.com_error as raised through xlwings on Windows:
    args = (hresult, text, excepinfo, argerror); excepinfo[5] is Excel's scode."""

    def __init__(self, description: str):
        self.hresult = DISP_E_EXCEPTION
        self.strerror = "Exception occurred."
        self.excepinfo = (0, "Microsoft Excel", description, "xlmain11.chm", 0, XL_ERROR_1004)
        self.argerror = None
        super().__init__(self.hresult, self.strerror, self.excepinfo, self.argerror)

    @property
    def excel_error(self) -> int:
        return self.excepinfo[5] & 0xFFFF  # 1004


PROTECTED = (
    "The cell or chart you're trying to change is on a protected sheet. "
    "To make a change, unprotect the sheet. You might be requested to enter a password."
)


# --- Excel's reading of typed input ----------------------------------------------------------
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})")


def excel_input(text: str):
    """What Excel stores for `text` typed into a General cell: (value, is_formula)."""
    if text.startswith("'"):
        return text[1:], False
    if text.startswith("=") and len(text) > 1:
        return text, True
    s = text.strip()
    if _NUMBER.fullmatch(s):
        v = float(s)
        return (int(v) if v.is_integer() and "e" not in s.lower() else v), False
    if s.endswith("%") and _NUMBER.fullmatch(s[:-1].strip()):
        return float(s[:-1]) / 100, False
    if m := _DATE.fullmatch(s):
        d, mo, y = (int(g) for g in m.groups())
        y = y + 2000 if y < 30 else (y + 1900 if y < 100 else y)
        try:
            return datetime(y, mo, d), False
        except ValueError:
            return text, False
    if s.upper() in ("TRUE", "FALSE"):
        return s.upper() == "TRUE", False
    return text, False


def _read(v):
    """A cell's value as xlwings returns it: numbers as floats, dates as datetimes."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime.combine(v, datetime.min.time())
    return v


class App:
    def __init__(self):
        self.alerts: list[dict] = []

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append({"prompt": prompt, "title": title, "mode": mode})


class Range:
    def __init__(self, sheet: Sheet, cell1, cell2=None):
        self.sheet = sheet
        if isinstance(cell1, Range):
            cell1 = cell1.address.replace("$", "")
        if isinstance(cell2, Range):
            cell2 = cell2.address.replace("$", "")
        ref = cell1 if cell2 is None else f"{cell1}:{cell2}"
        if ":" not in ref:
            ref = f"{ref}:{ref}"
        self.min_col, self.min_row, self.max_col, self.max_row = range_boundaries(ref)

    @property
    def address(self):
        a = f"${get_column_letter(self.min_col)}${self.min_row}"
        b = f"${get_column_letter(self.max_col)}${self.max_row}"
        return a if a == b else f"{a}:{b}"

    @property
    def row(self):
        return self.min_row

    @property
    def column(self):
        return self.min_col

    @property
    def shape(self):
        return (self.max_row - self.min_row + 1, self.max_col - self.min_col + 1)

    def _cells(self):
        ws = self.sheet.ws
        return [
            [ws.cell(row=r, column=c) for c in range(self.min_col, self.max_col + 1)]
            for r in range(self.min_row, self.max_row + 1)
        ]

    @property
    def value(self):
        rows = [[_read(c.value) for c in row] for row in self._cells()]
        nrows, ncols = self.shape
        if nrows == 1 and ncols == 1:
            return rows[0][0]
        if nrows == 1:
            return rows[0]  # xlwings: a one-row range is a flat list
        if ncols == 1:
            return [r[0] for r in rows]  # and so is a one-column range
        return rows

    @value.setter
    def value(self, data):
        if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
            rows = [list(r) for r in data]
        elif isinstance(data, (list, tuple)):
            rows = [list(data)]  # xlwings writes a flat list as one row
        else:
            rows = [[data]]
        target = Range(
            self.sheet,
            f"{get_column_letter(self.min_col)}{self.min_row}:"
            f"{get_column_letter(self.min_col + max(len(r) for r in rows) - 1)}{self.min_row + len(rows) - 1}",
        )
        target._check_unlocked()
        ws = self.sheet.ws
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                cell = ws.cell(row=self.min_row + i, column=self.min_col + j)
                if isinstance(v, str) and cell.number_format != "@":
                    value, formula = excel_input(v)
                    cell.value = value
                    if isinstance(value, str) and not formula:
                        cell.data_type = "s"  # text, even when it starts with "="
                else:
                    cell.value = v
                    if isinstance(v, str):
                        cell.data_type = "s"  # a Text cell keeps what is typed, as text

    def _check_unlocked(self):
        if not self.sheet.ws.protection.sheet:
            return
        for row in self._cells():
            for c in row:
                if c.protection.locked:
                    raise ComError(PROTECTED)

    def clear_contents(self):
        self._check_unlocked()
        for row in self._cells():
            for c in row:
                c.value = None

    def __repr__(self):
        return f"<Range [{self.sheet.book.path.name}]{self.sheet.name}!{self.address}>"


class Table:
    """An Excel table (ListObject); its range changes only through `resize`."""

    def __init__(self, sheet: Sheet, name: str):
        self.sheet, self._name = sheet, name

    @property
    def _t(self):
        return self.sheet.ws.tables[self._name]

    @property
    def name(self):
        return self._name

    @property
    def range(self):
        return Range(self.sheet, self._t.ref)

    @property
    def data_body_range(self):
        r = self.range
        if r.max_row == r.min_row:
            return None
        return Range(
            self.sheet, f"{get_column_letter(r.min_col)}{r.min_row + 1}:{get_column_letter(r.max_col)}{r.max_row}"
        )

    def resize(self, range):  # noqa: A002 - xlwings' own parameter name
        if self.sheet.ws.protection.sheet:
            raise ComError("Resize method of ListObject class failed")  # Excel refuses on a protected sheet
        old = self.range
        new = range
        if new.min_row != old.min_row or new.max_row <= new.min_row:
            raise ComError("Resize method of ListObject class failed")  # header must stay; a body row needed
        t = self._t
        ref = new.address.replace("$", "")
        ncols = new.max_col - new.min_col + 1
        if ncols != len(t.tableColumns):
            from openpyxl.worksheet.table import TableColumn

            cols = []
            for i in range(ncols):
                head = self.sheet.ws.cell(row=new.min_row, column=new.min_col + i).value
                cols.append(TableColumn(id=i + 1, name=str(head if head is not None else f"Column{i + 1}")))
            t.tableColumns = cols
        t.ref = ref
        if t.autoFilter is not None:
            t.autoFilter.ref = ref


class Tables:
    def __init__(self, sheet: Sheet):
        self.sheet = sheet

    def __getitem__(self, key):
        names = list(self.sheet.ws.tables)
        name = names[key] if isinstance(key, int) else key
        if name not in self.sheet.ws.tables:
            raise KeyError(key)
        return Table(self.sheet, name)

    def __iter__(self):
        return (Table(self.sheet, n) for n in list(self.sheet.ws.tables))

    def __len__(self):
        return len(self.sheet.ws.tables)

    def add(
        self,
        source=None,
        name=None,
        source_type=None,
        link_source=None,
        has_headers=True,
        destination=None,
        table_style_name="TableStyleMedium2",
    ):
        from openpyxl.worksheet.table import Table as XTable
        from openpyxl.worksheet.table import TableStyleInfo

        if self.sheet.ws.protection.sheet:
            raise ComError("Add method of ListObjects class failed")
        t = XTable(displayName=name, ref=source.address.replace("$", ""))
        t.tableStyleInfo = TableStyleInfo(name=table_style_name, showRowStripes=True)
        self.sheet.ws.add_table(t)
        return Table(self.sheet, name)


_PROTECT_FLAGS = {  # Protect's Allow… argument -> openpyxl's flag (True there = not allowed)
    "AllowFormattingCells": "formatCells",
    "AllowFormattingColumns": "formatColumns",
    "AllowFormattingRows": "formatRows",
    "AllowInsertingColumns": "insertColumns",
    "AllowInsertingRows": "insertRows",
    "AllowInsertingHyperlinks": "insertHyperlinks",
    "AllowDeletingColumns": "deleteColumns",
    "AllowDeletingRows": "deleteRows",
    "AllowSorting": "sort",
    "AllowFiltering": "autoFilter",
    "AllowUsingPivotTables": "pivotTables",
}


class SheetApi:
    """The few members of Excel's Worksheet COM object (`sheet.api`) the buttons use."""

    def __init__(self, sheet: Sheet):
        self._sheet = sheet

    @property
    def _ws(self):
        return self._sheet.ws

    @property
    def ProtectContents(self):  # noqa: N802 - Excel's name
        return bool(self._ws.protection.sheet)

    def Unprotect(self, Password=None):  # noqa: N802, N803 - Excel's names
        p = self._ws.protection
        if not p.sheet:
            return
        if p.password:  # the password is ignored when the sheet has none (Worksheet.Unprotect)
            from openpyxl.utils.protection import hash_password

            if hash_password(Password or "") != p.password:
                raise ComError("The password you supplied is not correct. Verify that the CAPS LOCK key is off.")
        p._password = None  # (openpyxl's set_password would protect the sheet again)
        p.sheet = False

    def Protect(  # noqa: N802 - Excel's names
        self,
        Password=None,  # noqa: N803
        DrawingObjects=True,  # noqa: N803
        Contents=True,  # noqa: N803
        Scenarios=True,  # noqa: N803
        UserInterfaceOnly=False,  # noqa: N803
        AllowFormattingCells=False,  # noqa: N803
        AllowFormattingColumns=False,  # noqa: N803
        AllowFormattingRows=False,  # noqa: N803
        AllowInsertingColumns=False,  # noqa: N803
        AllowInsertingRows=False,  # noqa: N803
        AllowInsertingHyperlinks=False,  # noqa: N803
        AllowDeletingColumns=False,  # noqa: N803
        AllowDeletingRows=False,  # noqa: N803
        AllowSorting=False,  # noqa: N803
        AllowFiltering=False,  # noqa: N803
        AllowUsingPivotTables=False,  # noqa: N803
    ):
        p = self._ws.protection
        if p.sheet:
            return  # Excel: protecting a protected sheet changes nothing
        given = locals()
        p.sheet = bool(Contents)
        p.objects = bool(DrawingObjects)
        p.scenarios = bool(Scenarios)
        for arg, flag in _PROTECT_FLAGS.items():
            setattr(p, flag, not given[arg])
        if Password:
            p.password = Password  # openpyxl hashes it

    def ChartObjects(self, Index=None):  # noqa: N802, N803 - Excel's names
        objects = ChartObjects(self._sheet)
        return objects if Index is None else objects.Item(Index)

    @property
    def Visible(self):  # noqa: N802
        return {"visible": -1, "hidden": 0, "veryHidden": 2}[self._ws.sheet_state]

    @Visible.setter
    def Visible(self, value):  # noqa: N802
        self._ws.sheet_state = {-1: "visible", True: "visible", 0: "hidden", 2: "veryHidden"}[value]


# --- charts: Worksheet.ChartObjects(i).Chart.SeriesCollection(j).Formula ------------------------
SERIES_FAILED = "Unable to set the Formula property of the Series class"


def split_series(formula: str) -> list[str]:
    """The arguments of =SERIES(name, categories, values, order), commas inside quotes kept."""
    m = re.fullmatch(r"\s*=\s*SERIES\((.*)\)\s*", formula, re.I | re.S)
    if not m:
        raise ComError(SERIES_FAILED)
    args, cur, quoted = [], "", None
    for ch in m.group(1):
        if quoted:
            cur += ch
            if ch == quoted:
                quoted = None
        elif ch in "'\"":
            quoted = ch
            cur += ch
        elif ch == ",":
            args.append(cur.strip())
            cur = ""
        else:
            cur += ch
    args.append(cur.strip())
    if len(args) != 4:
        raise ComError(SERIES_FAILED)
    return args


def absolute(ref: str | None) -> str:
    """'Sheet'!A1:B2 as Excel shows it in a SERIES formula: 'Sheet'!$A$1:$B$2."""
    if not ref:
        return ""
    sheet, _, cells = ref.rpartition("!")
    cells = re.sub(r"\$?([A-Z]{1,3})\$?(\d+)", r"$\1$\2", cells.upper())
    return f"{sheet}!{cells}" if sheet else cells


class Series:
    def __init__(self, chart: Chart, index: int):
        self._chart, self._index = chart, index

    @property
    def _s(self):
        return self._chart._c.series[self._index]

    @property
    def Formula(self):  # noqa: N802
        s = self._s
        name = ""
        if s.tx is not None:
            name = absolute(s.tx.strRef.f) if s.tx.strRef is not None else f'"{s.tx.v}"'
        cat = ""
        if s.cat is not None:
            ref = s.cat.strRef or s.cat.numRef
            cat = absolute(ref.f) if ref is not None else ""
        val = absolute(s.val.numRef.f) if s.val is not None and s.val.numRef is not None else ""
        return f"=SERIES({name},{cat},{val},{self._index + 1})"

    @Formula.setter
    def Formula(self, formula):  # noqa: N802
        from openpyxl.chart.data_source import AxDataSource, NumDataSource, NumRef, StrRef
        from openpyxl.chart.series import SeriesLabel

        sheet = self._chart.sheet
        if sheet.ws.protection.sheet and sheet.ws.protection.objects:
            raise ComError(SERIES_FAILED)  # a protected sheet's objects cannot be changed
        name, cat, val, _order = split_series(formula)
        for ref in (name, cat, val):
            if ref and not ref.startswith('"'):
                self._chart.check(ref)
        if not val:
            raise ComError(SERIES_FAILED)
        s = self._s
        if name.startswith('"'):
            s.tx = SeriesLabel(v=name.strip('"'))
        elif name:
            s.tx = SeriesLabel(strRef=StrRef(f=name))
        else:
            s.tx = None
        if cat:
            # the caches go: Excel reads the figures again from the cells
            old = s.cat
            s.cat = (
                AxDataSource(numRef=NumRef(f=cat))
                if old is not None and old.numRef
                else AxDataSource(strRef=StrRef(f=cat))
            )
        else:
            s.cat = None
        s.val = NumDataSource(numRef=NumRef(f=val))

    def Delete(self):  # noqa: N802
        del self._chart._c.series[self._index]


class SeriesCollection:
    def __init__(self, chart: Chart):
        self._chart = chart

    @property
    def Count(self):  # noqa: N802
        return len(self._chart._c.series)

    def Item(self, Index):  # noqa: N802, N803
        if not 1 <= Index <= self.Count:
            raise ComError("Unable to get the SeriesCollection property of the Chart class")
        return Series(self._chart, Index - 1)

    def NewSeries(self):  # noqa: N802
        from openpyxl.chart.series import Series as XSeries

        n = self.Count
        self._chart._c.series.append(XSeries(idx=n, order=n))
        return Series(self._chart, n)


class Chart:
    """A chart of a sheet (openpyxl's chart object, read from the file and written by save())."""

    def __init__(self, sheet: Sheet, chart):
        self.sheet, self._c = sheet, chart

    def SeriesCollection(self, Index=None):  # noqa: N802, N803
        coll = SeriesCollection(self)
        return coll if Index is None else coll.Item(Index)

    def check(self, ref: str) -> None:
        """Excel refuses a SERIES formula whose reference is no range of a sheet of the book."""
        sheet_name, bang, cells = ref.rpartition("!")
        if not bang:
            raise ComError(SERIES_FAILED)
        if sheet_name.startswith("'") and sheet_name.endswith("'"):
            sheet_name = sheet_name[1:-1].replace("''", "'")
        if sheet_name not in self.sheet.book.wb.sheetnames:
            raise ComError(SERIES_FAILED)
        try:
            range_boundaries(cells.replace("$", ""))
        except ValueError:
            raise ComError(SERIES_FAILED) from None

    def referenced(self) -> list[list]:
        """The values of the cells each series' categories and values refer to (for the tests)."""
        out = []
        for s in self._c.series:
            for ref in (s.cat.strRef or s.cat.numRef if s.cat is not None else None, s.val.numRef):
                if ref is None:
                    continue
                sheet_name, _, cells = ref.f.rpartition("!")
                ws = self.sheet.book.wb[sheet_name.strip("'").replace("''", "'")]
                c1, r1, c2, r2 = range_boundaries(cells.replace("$", ""))
                out.append([ws.cell(row=r, column=c).value for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)])
        return out


class ChartObject:
    def __init__(self, sheet: Sheet, chart):
        self._sheet, self._chart = sheet, chart

    @property
    def Chart(self):  # noqa: N802
        return Chart(self._sheet, self._chart)


class ChartObjects:
    """Worksheet.ChartObjects(): the sheet's charts in the order of the drawing."""

    def __init__(self, sheet: Sheet):
        self._sheet = sheet

    @property
    def Count(self):  # noqa: N802
        return len(self._sheet.ws._charts)

    def Item(self, Index):  # noqa: N802, N803
        charts = self._sheet.ws._charts
        if not 1 <= Index <= len(charts):
            raise ComError("Unable to get the ChartObjects property of the Worksheet class")
        return ChartObject(self._sheet, charts[Index - 1])


class Sheet:
    def __init__(self, book: Book, ws):
        self.book, self.ws = book, ws

    @property
    def name(self):
        return self.ws.title

    @property
    def api(self):
        return SheetApi(self)

    @property
    def tables(self):
        return Tables(self)

    def range(self, cell1, cell2=None):
        return Range(self, cell1, cell2)

    @property
    def used_range(self):
        return Range(self, f"A1:{get_column_letter(max(self.ws.max_column, 1))}{max(self.ws.max_row, 1)}")

    @property
    def visible(self):
        return self.ws.sheet_state == "visible"

    @visible.setter
    def visible(self, value):
        self.ws.sheet_state = "visible" if value else "hidden"

    def activate(self):
        self.book.wb.active = self.book.wb.sheetnames.index(self.ws.title)
        self.book.active_sheet = self.ws.title

    def delete(self):
        self.book.wb.remove(self.ws)


class Sheets:
    def __init__(self, book: Book):
        self.book = book

    def __getitem__(self, name):
        if isinstance(name, int):
            return Sheet(self.book, self.book.wb.worksheets[name])
        if name not in self.book.wb.sheetnames:
            raise KeyError(name)  # real xlwings raises from COM; callers must check first
        return Sheet(self.book, self.book.wb[name])

    def __iter__(self):
        return (Sheet(self.book, ws) for ws in self.book.wb.worksheets)

    def __len__(self):
        return len(self.book.wb.worksheets)

    def add(self, name=None, before=None, after=None):
        index = len(self.book.wb.sheetnames)
        if after is not None:
            index = self.book.wb.sheetnames.index(after.name) + 1
        elif before is not None:
            index = self.book.wb.sheetnames.index(before.name)
        return Sheet(self.book, self.book.wb.create_sheet(name, index))


class Book:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.wb = load_workbook(self.path, keep_vba=self.path.suffix.lower() == ".xlsm")
        self.app = App()
        self.active_sheet = self.wb.active.title
        self.saves = 0

    @property
    def fullname(self):
        return str(self.path)

    @property
    def sheets(self):
        return Sheets(self)

    def save(self, path=None, password=None):
        self.wb.save(path or self.path)
        self.saves += 1
