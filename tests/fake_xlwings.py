"""A small stand-in for the few xlwings Book/Sheet/Range/App calls ccpkh_excel.frontends.macros uses.

There is no Excel here: the "open book" is the workbook file loaded with openpyxl, changed
cell by cell as Excel would change it, and written by `save()` as Excel's Save would.
`test_macros.py` checks every method here against xlwings' own signatures.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries


class App:
    def __init__(self):
        self.alerts: list[dict] = []

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append({"prompt": prompt, "title": title, "mode": mode})


class Range:
    def __init__(self, sheet: Sheet, cell1, cell2=None):
        self.sheet = sheet
        ref = cell1 if cell2 is None else f"{cell1}:{cell2}"
        if ":" not in ref:
            ref = f"{ref}:{ref}"
        self.min_col, self.min_row, self.max_col, self.max_row = range_boundaries(ref)

    @property
    def value(self):
        ws = self.sheet.ws
        rows = [
            [ws.cell(row=r, column=c).value for c in range(self.min_col, self.max_col + 1)]
            for r in range(self.min_row, self.max_row + 1)
        ]
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        return rows

    @value.setter
    def value(self, data):
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                cell = self.sheet.ws.cell(row=self.min_row + i, column=self.min_col + j)
                if isinstance(v, str) and v.startswith("'"):
                    cell.value = v[1:]  # Excel: a leading apostrophe keeps the rest as text
                    cell.data_type = "s"
                else:
                    cell.value = v  # "=…" becomes a formula, as in Excel

    def clear_contents(self):
        for r in range(self.min_row, self.max_row + 1):
            for c in range(self.min_col, self.max_col + 1):
                self.sheet.ws.cell(row=r, column=c).value = None


class Sheet:
    def __init__(self, book: Book, ws):
        self.book, self.ws = book, ws

    @property
    def name(self):
        return self.ws.title

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


class Sheets:
    def __init__(self, book: Book):
        self.book = book

    def __getitem__(self, name):
        if name not in self.book.wb.sheetnames:
            raise KeyError(name)  # real xlwings raises from COM; callers must check first
        return Sheet(self.book, self.book.wb[name])

    def __iter__(self):
        return (Sheet(self.book, ws) for ws in self.book.wb.worksheets)

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
