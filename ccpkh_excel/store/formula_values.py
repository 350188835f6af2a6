"""The computed value of every formula the tool writes, so it can travel as the cell's cached
value (`<c><f>…</f><v>…</v></c>`).

Excel recalculates on open anyway (`fullCalcOnLoad`), but pandas, python-calamine, file
previewers, phone viewers and Excel's Protected View only read the cached value. The values
are computed the way Excel and LibreOffice compute them:

- a small evaluator for the formulas of Thống kê (COUNTIFS, COUNTIF, SUM, IF, AND, OR, ROUND,
  INT, comparisons, arithmetic), over the cells as written — so the values follow whatever the
  sheet holds, even a Thống kê older than the plan. A formula is parsed and compiled into
  Python functions once per shape (`Book`): a unit's block of formulas and the next unit's
  differ only in their rows, which each formula's own digits give. COUNTIFS with plain
  criteria is answered from one index per set of ranges (built once, one pass over the rows,
  counted by numpy for a province's hundreds of thousands of rows): linear in rows.
- `summary_evaluation`: the "Đánh giá" formula of a Tổng hợp row (`stats_sheet.row_formula`),
  in Python with the same semantics, for a province's ten thousand rows.

A test recalculates a copy without the values in LibreOffice and compares every formula cell.
"""

from __future__ import annotations

import gc
import math
import operator
import re
import sys
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from html import unescape as _unescape

from ccpkh_excel.domain.status import ACTIVE, DONE, IN_PROGRESS, LATE, NOT_STARTED, ON_TIME, OVERDUE
from ccpkh_excel.store.xlsxfast import ErrorValue, formula_cell, serial

ExcelError = ErrorValue  # an error value (#VALUE!, #DIV/0!, #NAME?, #REF!)

VALUE, DIV0, NAME, REF = ExcelError("#VALUE!"), ExcelError("#DIV/0!"), ExcelError("#NAME?"), ExcelError("#REF!")

# An Excel value: None (blank), float, str, bool or ExcelError.


def excel_value(v: object) -> object:
    """A Python value as the cell holds it once written: dates as serials, "" as blank."""
    t = type(v)  # the usual cases first: a province's columns pass through here cell by cell
    if t is str:
        return v if v else None
    if t is float or v is None:
        return v
    if v == "":
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (date, datetime)):
        return float(serial(v))
    if isinstance(v, (int, float)):
        return float(v)
    return str(v)


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def to_number(v: object) -> float | ExcelError:
    if isinstance(v, ExcelError):
        return v
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, float):
        return v
    if isinstance(v, str) and _NUMBER.fullmatch(v):
        return float(v)
    return VALUE


def to_bool(v: object) -> bool | ExcelError:
    if isinstance(v, ExcelError):
        return v
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return v != 0
    up = v.strip().upper()
    if up in ("TRUE", "FALSE"):
        return up == "TRUE"
    return VALUE


def _rank(v: object) -> int:
    return 0 if isinstance(v, float) else 1 if isinstance(v, str) else 2


def compare(a: object, b: object, op: str) -> bool | ExcelError:
    """`a op b` as Excel does: blank takes the other side's type, numbers < text < booleans,
    text without regard to case."""
    if isinstance(a, ExcelError):
        return a
    if isinstance(b, ExcelError):
        return b
    blank = {float: 0.0, str: "", bool: False}
    if a is None and b is None:
        a = b = 0.0
    elif a is None:
        a = blank[type(b)]
    elif b is None:
        b = blank[type(a)]
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        x, y = ra, rb
    elif ra == 1:
        x, y = a.casefold(), b.casefold()
    else:
        x, y = a, b
    if op == "=":
        return x == y
    if op == "<>":
        return x != y
    if op == "<":
        return x < y
    if op == ">":
        return x > y
    if op == "<=":
        return x <= y
    return x >= y


def excel_round(x: float, digits: int) -> float:
    """ROUND: half away from zero, on the number as shown with 15 significant digits."""
    try:
        d = Decimal(format(x, ".15g"))
        q = Decimal(1).scaleb(-digits)
        r = abs(d).quantize(q, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return x
    return float(r if d >= 0 else -r)


# --- Tổng hợp's "Đánh giá" -------------------------------------------------------------------------
def summary_evaluation(status: object, done: object, saved: object, due: object, as_of: object) -> object:
    """The value of `stats_sheet.row_formula` for one row; arguments as written (Python values:
    text, dates, datetimes, "" for blank; `as_of` is Thống kê's B3)."""
    f, g, k, m, b3 = (excel_value(x) for x in (status, done, saved, due, as_of))
    is_done = compare(f, DONE, "=")
    if isinstance(is_done, ExcelError):
        return is_done
    if is_done:
        if compare(m, "", "=") is True:
            return ON_TIME
        if compare(g, "", "<>") is True:
            day = g
        else:
            n = to_number(k)
            day = n if isinstance(n, ExcelError) else float(int(n // 1))
        on_time = compare(day, m, "<=")
        return on_time if isinstance(on_time, ExcelError) else (ON_TIME if on_time else LATE)
    has_due = compare(m, "", "<>")
    past = compare(b3, m, ">")
    for v in (has_due, past):
        if isinstance(v, ExcelError):
            return v
    if has_due and past:
        return OVERDUE
    active = compare(f, ACTIVE[0], "=") or compare(f, ACTIVE[1], "=")
    return IN_PROGRESS if active else NOT_STARTED


# --- formulas ----------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<str>"(?:[^"]|"")*")
  | (?P<ref>(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?
        (?:\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?|\$?[A-Z]{1,3}:\$?[A-Z]{1,3}))(?![\w(])
  | (?P<func>[A-Za-z][A-Za-z0-9.]*)\(
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<bool>TRUE|FALSE)(?![\w(])
  | (?P<op><>|<=|>=|[-+*/^&=<>(),%])
    )""",
    re.X,
)
_A1 = re.compile(r"\$?([A-Z]{1,3})\$?(\d*)")


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _tokens(formula: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, formula.strip()
    append = out.append
    for m in _TOKEN.finditer(text):  # each token must start where the last one ended
        if m.start() != pos:
            break
        kind = m.lastgroup
        append((kind, m.group(kind)))
        pos = m.end()
    if pos != len(text):
        raise ValueError(f"cannot read formula at {pos}: {text[pos : pos + 20]!r}")
    return out


_LEVEL = {"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}
_DIGITS = re.compile(r"(\d+)")  # a run of digits (captured: `split` keeps the runs)


class _Parser:
    """Recursive descent, Excel's precedence: comparison < & < + - < * / < ^ < unary < %.

    `slotted`: the tree of the formula's *shape* instead (`Book._shape`): the rows of references
    and the whole-number constants are left as the index of their run of digits in the formula
    ("slots"), to be read from each formula of that shape (`self.slots`: index → int or float)."""

    def __init__(self, formula: str, sheet: str, slotted: bool = False):
        self.toks, self.i, self.sheet = _tokens(formula), 0, sheet
        self.bases: list[int] | None = None  # runs of digits before each token
        self.slots: dict[int, type] = {}
        if slotted:
            self.bases, n = [], 0
            for _, text in self.toks:
                self.bases.append(n)
                n += len(_DIGITS.findall(text))
            self.runs = n

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ValueError(f"expected {value!r}, got {tok!r}")
        self.i += 1
        return tok

    def parse(self):
        node = self.comparison()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r}")
        return node

    def comparison(self, lowest: int = 1):
        """Binary operators by precedence climbing (all left-associative, as in Excel)."""
        node = self.unary()
        toks = self.toks
        while self.i < len(toks):
            kind, op = toks[self.i]
            level = _LEVEL.get(op) if kind == "op" else None
            if level is None or level < lowest:
                break
            self.i += 1
            node = ("bin", op, node, self.comparison(level + 1))
        return node

    def unary(self):
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in "+-":
            self.i += 1
            node = self.unary()
            return ("neg", node) if tok[1] == "-" else node
        node = self.primary()
        while (tok := self.peek()) and tok == ("op", "%"):
            self.i += 1
            node = ("bin", "/", node, ("num", 100.0))
        return node

    def primary(self):
        kind, text = self.take()
        if kind == "num":
            if self.bases is not None and _DIGITS.fullmatch(text):
                k = self.bases[self.i - 1]
                self.slots[k] = float
                return ("numslot", k)
            return ("num", float(text))
        if kind == "str":
            return ("str", text[1:-1].replace('""', '"'))
        if kind == "bool":
            return ("bool", text == "TRUE")
        if kind == "ref":
            return self.ref(text)
        if kind == "func":
            args = []
            if self.peek() != ("op", ")"):
                args.append(self.comparison())
                while self.peek() == ("op", ","):
                    self.i += 1
                    args.append(self.comparison())
            self.take(")")
            return ("func", text.upper(), args)
        if (kind, text) == ("op", "("):
            node = self.comparison()
            self.take(")")
            return node
        raise ValueError(f"unexpected {text!r}")

    def ref(self, text: str):
        sheet = self.sheet
        slotted = self.bases is not None
        run = self.bases[self.i - 1] if slotted else 0  # the token's first run of digits
        if "!" in text:
            name, text = text.rsplit("!", 1)
            sheet = name[1:-1].replace("''", "'") if name.startswith("'") else name
            run += len(_DIGITS.findall(name))
        ends = []
        for part in text.split(":"):
            m = _A1.fullmatch(part)
            row = None
            if m.group(2):
                if slotted:  # the slot of the row's digits
                    row = run
                    self.slots[run] = int
                    run += 1
                else:
                    row = int(m.group(2))
            ends.append((col_index(m.group(1)), row))
        if len(ends) == 1:
            return ("cell", sheet, ends[0][1], ends[0][0])
        (c1, r1), (c2, r2) = ends
        if slotted:  # rows still slots: made 1 (r1) when missing or 0 once read
            return ("range", sheet, r1, c1, r2, c2)
        return ("range", sheet, r1 or 1, c1, r2, c2)  # r2 None: to the sheet's last row


def parse(formula: str, sheet: str):
    return _Parser(formula, sheet).parse()


# --- the workbook the formulas read --------------------------------------------------------------
class Sheet:
    """Cells of one sheet: constants by column (lists from row 1, or a function making the
    list when first asked for) and formulas by (row, column), evaluated when first read."""

    def __init__(self, name: str, max_row: int = 0):
        self.name = name
        self.max_row = max_row
        self.columns: dict[int, list | Callable[[], list]] = {}
        self.formulas: dict[tuple[int, int], str] = {}

    def column(self, c: int) -> list:
        col = self.columns.get(c, [])
        if callable(col):
            col = self.columns[c] = col()
        return col

    def set(self, r: int, c: int, value: object) -> None:
        col = self.column(c)
        if not isinstance(self.columns.get(c), list):
            self.columns[c] = col
        while len(col) < r:
            col.append(None)
        col[r - 1] = value
        self.max_row = max(self.max_row, r)


_MISSING = object()
_SPECIAL_CRITERION = re.compile(r"[*?~]|^(?:<>|<=|>=|=|<|>)")
_COMPARISONS = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_ARRAY_ROWS = 50_000  # from this many rows an index is counted by numpy (`Book._count_arrays`) …
_ARRAY_IMPORT_ROWS = 200_000  # … when loaded already (openpyxl loads it), or from this many (worth loading it)
_MEMO_TYPES = frozenset((str, float, type(None)))  # cell values whose matching key depends on the value alone


class _KeyIds(dict):
    """Cell value → the number of its matching key (`_cell_key`), for values of `_MEMO_TYPES`:
    a column holds few distinct values, each keyed once."""

    def __init__(self, ids: dict[tuple, int]):
        super().__init__()
        self.ids = ids

    def __missing__(self, v: object) -> int:
        k = self[v] = self.ids.setdefault(_cell_key(v), len(self.ids))
        return k


class Book:
    """The sheets the formulas read, and the evaluator.

    A formula is compiled into Python functions once per *shape*: formulas that differ only in
    the digits of their references' rows and of their whole-number constants (a unit's row of
    Thống kê and the next unit's) share the functions, which read those numbers from each
    formula's own text. Everything else (text, functions, columns, `$`, sheet names, other
    numbers) is part of the shape, so a shared function computes what a fresh parse would."""

    def __init__(self, sheets: list[Sheet]):
        self.sheets = {s.name.casefold(): s for s in sheets}
        self._values: dict[tuple[str, int, int], object] = {}
        # (sheet, the text around the runs of digits …) → (how each run is read, the runs that are
        # part of the shape, the compiled formula by those runs); None: a formula not read
        self._shapes: dict[tuple, tuple | None] = {}
        self._by_text: dict[tuple[str, str], tuple] = {}  # formulas whose runs the shape does not find
        self._index: dict[tuple, Counter | dict] = {}
        self._key_cache: dict[tuple, list] = {}
        self._key_ids: dict[tuple, int] = {}  # matching key (`_cell_key`) → its number in `_keys`
        self._criteria: dict[str, tuple | None] = {}  # a text criterion → `_criterion_key`
        self._busy: set[tuple[str, int, int]] = set()
        self._formula_index: dict[str, dict[int, list[int]]] = {}
        self._countifs: dict[tuple, bool] = {}  # COUNTIFS ranges → whether their shapes agree
        self._by_nodes: dict[tuple, Counter] = {}  # COUNTIFS ranges → their index
        self._by_rows: dict[tuple, list] = {}  # (rows, sheet) → [(columns, index)] (`_from_wider`)

    def _sheet(self, name: str) -> Sheet | None:
        return self.sheets.get(name.casefold())

    def value(self, sheet: str, r: int, c: int) -> object:
        """A cell's value: its constant, or its formula evaluated (once)."""
        sh = self._sheet(sheet)
        if sh is None:
            return REF
        if (r, c) in sh.formulas:
            return self._formula_value(sh, r, c)
        col = sh.column(c)
        return col[r - 1] if r - 1 < len(col) else None

    def _formula_value(self, sh: Sheet, r: int, c: int) -> object:
        key = (sh.name, r, c)
        v = self._values.get(key, _MISSING)
        if v is not _MISSING:
            return v
        if key in self._busy:
            return ExcelError("#CIRC!")
        self._busy.add(key)
        try:
            v = self._values[key] = self.evaluate(sh.formulas[(r, c)], sh.name)
        finally:
            self._busy.discard(key)
        return v

    def evaluate(self, formula: str, sheet: str) -> object:
        parts = _DIGITS.split(formula)
        runs = parts[1::2]
        key = (sheet, *parts[::2])
        shape = self._shapes.get(key, _MISSING)
        if shape is _MISSING:
            shape = self._shapes[key] = self._shape(formula, sheet, runs)
        if shape is None:
            return NAME
        reads, fixed_at, compiled = shape
        if reads == ():  # runs the shape does not find (cannot happen: a run never spans two tokens)
            fn, env = self._text_compiled(formula, sheet)
        else:
            fixed = tuple([runs[i] for i in fixed_at]) if fixed_at else ()
            fn = compiled.get(fixed)
            if fn is None:
                fn = compiled[fixed] = self._compile_formula(formula, sheet)[0]
            try:  # rows as the parser reads them (int()); constants made float when read
                env = list(map(int, runs))
            except ValueError:  # more digits than int() reads: a row the parser could not read either,
                if reads is None:  # or a run read as a float, or one part of the shape
                    return NAME
                try:
                    env = [f(x) if f else None for f, x in zip(reads, runs, strict=True)]
                except ValueError:
                    return NAME
        if fn is None:
            return NAME
        v = fn(env)
        if isinstance(v, tuple):  # a range where one value is wanted: its first cell
            v = self._cells(v)[0] if self._cells(v) else None
        return 0.0 if v is None else v  # a formula showing a blank cell shows 0

    def _shape(self, formula: str, sheet: str, runs: list[str]) -> tuple | None:
        """(how each run of digits is read: int, float or None when part of the shape — None
        when all are rows —, the positions of the runs that are part of the shape, {those runs:
        this formula compiled}); None when the formula cannot be read."""
        fn, parser = self._compile_formula(formula, sheet)
        if parser is None:
            return None
        if parser.runs != len(runs):
            return ((), (), {})
        reads = [parser.slots.get(i) for i in range(len(runs))]
        fixed_at = tuple(i for i, f in enumerate(reads) if f is None)
        fixed = tuple(runs[i] for i in fixed_at)
        return (None if all(f is int for f in reads) else reads), fixed_at, {fixed: fn}

    def _compile_formula(self, formula: str, sheet: str):
        """(the formula as a function of its runs of digits, the parser); (None, None) when it
        cannot be read."""
        try:
            parser = _Parser(formula.lstrip("="), sheet, slotted=True)
            node = parser.parse()
        except ValueError:
            return None, None
        return self._compile(node)[1], parser

    def _text_compiled(self, formula: str, sheet: str) -> tuple:
        """The function and its runs of digits for one formula text (read from its tokens)."""
        key = (sheet, formula)
        if key not in self._by_text:
            fn, parser = self._compile_formula(formula, sheet)
            env: list | None = []
            if parser is not None:
                for _, text in parser.toks:
                    env.extend(_DIGITS.findall(text))
                try:
                    env = [parser.slots[i](x) if i in parser.slots else None for i, x in enumerate(env)]
                except ValueError:
                    fn = None
            self._by_text[key] = (fn, env)
        return self._by_text[key]

    # -- ranges are kept as ("range", sheet, r1, c1, r2, c2) until a function reads them --
    def _bounds(self, rng) -> tuple[Sheet | None, int, int, int, int]:
        _, sheet, r1, c1, r2, c2 = rng
        sh = self._sheet(sheet)
        if r2 is None:
            r2 = sh.max_row if sh else 0
        return sh, r1, c1, r2, c2

    def _column_values(self, rng, i: int = 0) -> list:
        sh, r1, c1, r2, _ = self._bounds(rng)
        if sh is None:
            return []
        c = c1 + i
        rows = self._formula_rows(sh).get(c, ())
        k = bisect_left(rows, r1)
        if k < len(rows) and rows[k] <= r2:  # a formula in the range: its cells one by one
            return [self.value(sh.name, r, c) for r in range(r1, r2 + 1)]
        col = sh.column(c)
        part = col[r1 - 1 : r2]
        missing = r2 - r1 + 1 - len(part)
        return part + [None] * missing if missing > 0 else part

    def _formula_rows(self, sh: Sheet) -> dict[int, list[int]]:
        """Column → the sorted rows of its formulas (made once per sheet)."""
        rows = self._formula_index.get(sh.name)
        if rows is None:
            rows = {}
            for r, c in sh.formulas:
                rows.setdefault(c, []).append(r)
            for v in rows.values():
                v.sort()
            self._formula_index[sh.name] = rows
        return rows

    def _cells(self, rng) -> list:
        _, _, c1, _, c2 = self._bounds(rng)
        if c1 == c2:
            return self._column_values(rng)
        out = []
        for i in range(c2 - c1 + 1):
            out.extend(self._column_values(rng, i))
        return out

    # -- compiling: each node becomes (node, its value, its single value) as functions of the
    # -- formula's runs of digits ("env"); a range's value is ("range", …), its single value the
    # -- one cell it holds (#VALUE! when not one)
    def _compile(self, node) -> tuple:
        kind = node[0]
        if kind in ("num", "str", "bool"):
            value = node[1]

            def constant(env):
                return value

            return node, constant, constant
        if kind == "numslot":
            k = node[1]

            def number(env):  # float(int(x)) is float(x), both rounded to the nearest
                try:
                    return float(env[k])
                except OverflowError:  # float(x) of more than 308 digits
                    return math.inf

            return node, number, number
        if kind == "cell":
            return self._compile_cell(node)
        if kind == "range":
            return self._compile_range(node)
        if kind == "neg":
            x = self._compile(node[1])[2]

            def neg(env):
                n = to_number(x(env))
                return n if isinstance(n, ExcelError) else -n

            return node, neg, neg
        if kind == "bin":
            op, a, b = node[1], self._compile(node[2])[2], self._compile(node[3])[2]
            if op in _COMPARISONS:
                test = _COMPARISONS[op]

                def comparison(env):  # `compare`, two numbers compared at once
                    x, y = a(env), b(env)
                    if type(x) is float and type(y) is float:
                        return test(x, y)
                    return compare(x, y, op)

                return node, comparison, comparison
            if op in _ARITHMETIC:
                return node, *(self._arithmetic(op, a, b),) * 2
            binary = self._binary

            def operation(env):
                return binary(op, a(env), b(env))

            return node, operation, operation
        if kind == "func":
            make = getattr(self, f"_fn_{node[1].replace('.', '_')}", None)
            if make is None:

                def unknown(env):
                    return NAME

                return node, unknown, unknown
            fn = make([self._compile(a) for a in node[2]])
            return node, fn, fn
        raise ValueError(f"unknown node {kind!r}")

    @staticmethod
    def _arithmetic(op: str, a, b):
        """+ - * / as `_binary` computes them, numbers taken at once."""
        fn = _ARITHMETIC[op]

        def arithmetic(env):
            x, y = a(env), b(env)
            if type(x) is not float:
                x = to_number(x)
                if isinstance(x, ExcelError):
                    return x
            if type(y) is not float:
                y = to_number(y)
                if isinstance(y, ExcelError):
                    return y
            if op == "/" and y == 0:
                return DIV0
            return fn(x, y)

        return arithmetic

    def _compile_cell(self, node) -> tuple:
        _, sheet, k, c = node
        sh = self._sheet(sheet)
        if sh is None:

            def no_sheet(env):
                return REF

            return node, no_sheet, no_sheet
        formula_value = self._formula_value

        def cell(env):
            r = env[k]
            if (r, c) in sh.formulas:
                return formula_value(sh, r, c)
            col = sh.column(c)
            return col[r - 1] if r - 1 < len(col) else None

        cells_of = self._cells

        known, name = self._values, sh.name

        def single(env):  # `_single(cell)` in one call; a formula's value already known taken first
            r = env[k]
            v = known.get((name, r, c), _MISSING)
            if v is not _MISSING:
                pass
            elif (r, c) in sh.formulas:
                v = formula_value(sh, r, c)
            else:
                col = sh.column(c)
                v = col[r - 1] if r - 1 < len(col) else None
            if isinstance(v, tuple):
                cells = cells_of(v)
                return cells[0] if len(cells) == 1 else VALUE
            return v

        return node, cell, single

    def _compile_range(self, node) -> tuple:
        _, sheet, k1, c1, k2, c2 = node
        if k1 is None and k2 is None:
            rng = ("range", sheet, 1, c1, None, c2)

            def fixed(env):
                return rng

            return node, fixed, self._single(fixed)

        def area(env):
            r1 = env[k1] if k1 is not None else None
            return ("range", sheet, r1 or 1, c1, env[k2] if k2 is not None else None, c2)

        return node, area, self._single(area)

    def _single(self, fn):
        """The single value of a reference: a range's one cell (#VALUE! when not one)."""
        cells_of = self._cells

        def single(env):
            v = fn(env)
            if isinstance(v, tuple):
                cells = cells_of(v)
                return cells[0] if len(cells) == 1 else VALUE
            return v

        return single

    @staticmethod
    def _binary(op: str, a: object, b: object) -> object:
        if op in _COMPARISONS:
            return compare(a, b, op)
        if op == "&":
            for v in (a, b):
                if isinstance(v, ExcelError):
                    return v
            return _text(a) + _text(b)
        x, y = to_number(a), to_number(b)
        if isinstance(x, ExcelError):
            return x
        if isinstance(y, ExcelError):
            return y
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            return DIV0 if y == 0 else x / y
        try:
            return float(x**y)
        except (OverflowError, ZeroDivisionError):
            return VALUE

    # -- functions: each makes the function computing it from its compiled arguments ------------
    def _fn_IF(self, args):
        if not args or len(args) > 3:
            return lambda env: VALUE
        cond = args[0][2]
        yes = args[1][2] if len(args) > 1 else None
        no = args[2][2] if len(args) > 2 else None

        def if_(env):
            b = cond(env)
            if b.__class__ is not bool:
                b = to_bool(b)
                if isinstance(b, ExcelError):
                    return b
            if b:
                return yes(env) if yes is not None else True
            return no(env) if no is not None else False

        return if_

    def _logical(self, args, combine):
        values_of = [a[1] for a in args]
        cells_of = self._cells

        def logical(env):
            values = []
            for value_of in values_of:
                v = value_of(env)
                is_range = isinstance(v, tuple)
                for x in cells_of(v) if is_range else (v,):
                    if is_range and isinstance(x, str):
                        continue  # text in a range is skipped
                    b = to_bool(x)
                    if isinstance(b, ExcelError):
                        return b
                    if x is not None or not is_range:
                        values.append(b)
            return combine(values) if values else VALUE

        return logical

    def _fn_AND(self, args):
        return self._logical(args, all)

    def _fn_OR(self, args):
        return self._logical(args, any)

    def _fn_NOT(self, args):
        def not_(env):
            b = to_bool(args[0][2](env))
            return b if isinstance(b, ExcelError) else not b

        return not_

    def _fn_INT(self, args):
        def int_(env):
            n = to_number(args[0][2](env))
            return n if isinstance(n, ExcelError) else float(int(n // 1))

        return int_

    def _fn_ROUND(self, args):
        def round_(env):
            x, d = to_number(args[0][2](env)), to_number(args[1][2](env))
            for v in (x, d):
                if isinstance(v, ExcelError):
                    return v
            return excel_round(x, int(d))

        return round_

    def _fn_SUM(self, args):
        values_of = [a[1] for a in args]
        cells_of = self._cells

        def sum_(env):
            total = 0.0
            for value_of in values_of:
                v = value_of(env)
                if isinstance(v, tuple):
                    for x in cells_of(v):
                        if isinstance(x, ExcelError):
                            return x
                        if isinstance(x, float):
                            total += x
                else:
                    n = to_number(v)
                    if isinstance(n, ExcelError):
                        return n
                    total += n
            return total

        return sum_

    def _fn_COUNTIF(self, args):
        return self._fn_COUNTIFS(args)

    def _fn_COUNTIFS(self, args):
        if len(args) < 2 or len(args) % 2:
            return lambda env: VALUE
        ranges_of = [a[1] for a in args[::2]]
        criteria_of = [a[2] for a in args[1::2]]
        indexed = all(a[0][0] == "range" for a in args[::2])  # the usual case: counted from one index
        fixed = indexed and all(a[0][2] is None and a[0][4] is None for a in args[::2])  # whole columns
        known: list = []  # fixed ranges: [the ranges, whether their shapes agree, their index]
        criterion_key, counter_of, key_ids = self._criterion_key, self._counter, self._key_ids

        def countifs(env):
            if indexed:
                crits = []
                for criterion_of in criteria_of:
                    crit = criterion_of(env)
                    if isinstance(crit, ExcelError):
                        return crit
                    crits.append(crit)
                if known:
                    rkey, same, counter = known
                else:
                    rkey = tuple([f(env) for f in ranges_of])
                    same = self._countifs.get(rkey)
                    if same is None:
                        same = self._countifs[rkey] = (
                            len({(b[3] - b[1], b[4] - b[2]) for b in map(self._bounds, rkey)}) == 1
                        )
                    counter = None
                if not same:
                    return VALUE
                keys = tuple(map(criterion_key, crits))
                if None not in keys:
                    if counter is None:
                        counter = counter_of(list(rkey), rkey)
                        if fixed:
                            known[:] = (rkey, same, counter)
                    return float(counter[tuple([key_ids.get(k, -1) for k in keys])])
            return self._countifs_tested(ranges_of, criteria_of, env)

        return countifs

    def _countifs_tested(self, ranges_of, criteria_of, env) -> object:
        """COUNTIFS when some range is not a plain reference or some criterion needs testing
        cell by cell."""
        ranges, criteria = [], []
        for range_of, criterion_of in zip(ranges_of, criteria_of, strict=True):
            rng = range_of(env)
            if not isinstance(rng, tuple):
                return VALUE
            crit = criterion_of(env)
            if isinstance(crit, ExcelError):
                return crit
            ranges.append(rng)
            criteria.append(crit)
        shapes = {(b[3] - b[1], b[4] - b[2]) for b in map(self._bounds, ranges)}
        if len(shapes) != 1:
            return VALUE
        ids = self._key_ids
        keys = [self._criterion_key(c) for c in criteria]
        if all(k is not None for k in keys):
            return float(self._counter(ranges)[tuple(ids.get(k, -1) for k in keys)])
        tests = [_criterion_test(c) for c in criteria]
        plain = [i for i, k in enumerate(keys) if k is not None]
        if plain:  # the rows matching the plain criteria (one lookup), then the others tested on those only
            groups = self._groups([ranges[i] for i in plain])
            rows = groups.get(tuple(ids.get(keys[i], -1) for i in plain), ())
            rest = [(tests[i], self._column_cache(ranges[i])) for i in range(len(keys)) if keys[i] is None]
            return float(sum(1 for j in rows if all(t(col[j]) for t, col in rest)))
        columns = [self._cells(r) for r in ranges]
        return float(sum(1 for row in zip(*columns, strict=True) if all(t(v) for t, v in zip(tests, row, strict=True))))

    def _criterion_key(self, c: object) -> tuple | None:
        """`_criterion_key`, kept for each text criterion."""
        if type(c) is not str:
            return _criterion_key(c)
        try:
            return self._criteria[c]
        except KeyError:
            k = self._criteria[c] = _criterion_key(c)
            return k

    def _signature(self, rng) -> tuple:
        return self._bounds(rng)[1:] + (rng[1].casefold(),)

    def _column_cache(self, rng) -> list:
        """The cells of a range, made once per range (for criteria tested cell by cell)."""
        sig = ("cells", self._signature(rng))
        if sig not in self._key_cache:
            self._key_cache[sig] = self._cells(rng)
        return self._key_cache[sig]

    def _groups(self, ranges) -> dict[tuple, list[int]]:
        """The positions of the rows holding each combination of values in `ranges` (by the
        numbers of their matching keys)."""
        sig = ("groups", *(self._signature(r) for r in ranges))
        if sig not in self._index:
            groups: dict[tuple, list[int]] = {}
            for j, key in enumerate(zip(*(self._keys(r) for r in ranges), strict=True)):
                groups.setdefault(key, []).append(j)
            self._index[sig] = groups
        return self._index[sig]

    def _keys(self, rng) -> list[int]:
        """The number of the matching key of each cell of a range (`_key_ids`; made once per
        range): numbers hash and compare faster than the keys."""
        sig = self._bounds(rng)[1:] + (rng[1].casefold(),)
        if sig not in self._key_cache:
            cells, ids = self._cells(rng), self._key_ids
            if set(map(type, cells)) <= _MEMO_TYPES:  # no value equal to another of a different key
                keys = list(map(_KeyIds(ids).__getitem__, cells))
            else:  # booleans equal numbers, errors equal texts: each by its key
                keys = [ids.setdefault(k, len(ids)) for k in map(_cell_key, cells)]
            self._key_cache[sig] = keys
        return self._key_cache[sig]

    def _counter(self, ranges, nodes: tuple | None = None) -> Counter:
        """How many rows hold each combination of values in `ranges` (by the numbers of their
        matching keys): built once, read often."""
        if nodes is not None and nodes in self._by_nodes:
            return self._by_nodes[nodes]
        sig = tuple(self._bounds(r)[1:] + (r[1].casefold(),) for r in ranges)
        if sig not in self._index:
            counter = self._from_wider(sig)
            if counter is None:
                columns = [self._keys(r) for r in ranges]
                n = len(columns[0]) if columns else 0
                by_arrays = n >= _ARRAY_ROWS and ("numpy" in sys.modules or n >= _ARRAY_IMPORT_ROWS)
                if by_arrays and all(len(c) == n for c in columns):
                    counter = self._count_arrays(ranges, n)
                if counter is None:
                    counter = Counter(zip(*columns, strict=True))
            self._index[sig] = counter
            if all(c1 == c2 for _, c1, _, c2, _ in sig):
                self._by_rows.setdefault(_rows_of(sig), []).append((sig, counter))
        if nodes is not None:
            self._by_nodes[nodes] = self._index[sig]
        return self._index[sig]

    def _count_arrays(self, ranges, n: int) -> Counter | None:
        """`Counter(zip(*keys))` of ranges of `n` rows counted by numpy (which openpyxl loads
        when installed): each column's keys renumbered from 0 (`_key_array`), the combinations numbered
        densely and counted at once. None without numpy or when the combinations would number
        far more than the rows."""
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - openpyxl's numpy is optional
            return None
        columns = [self._key_array(r, np) for r in ranges]
        size = 1
        for _, seen in columns:
            size *= max(len(seen), 1)
        if size > 4 * n + 1024:
            return None
        dense = columns[0][0]
        for local, seen in columns[1:]:
            dense = dense * len(seen) + local
        counts = np.bincount(dense, minlength=size)
        found = np.flatnonzero(counts)
        keys, rest = [], found
        for _, seen in reversed(columns):  # back from the combination's number to the key numbers
            keys.append(seen[rest % len(seen)].tolist())
            rest = rest // len(seen)
        keys.reverse()
        return Counter(dict(zip(zip(*keys, strict=True), counts[found].tolist(), strict=True)))

    def _key_array(self, rng, np) -> tuple:
        """(each cell's key renumbered among the range's keys, as a numpy array; the key numbers
        present, ascending), made once per range."""
        sig = ("array", *self._signature(rng))
        if sig not in self._key_cache:
            keys = self._keys(rng)
            ids = np.fromiter(keys, np.int64, count=len(keys))
            seen = np.flatnonzero(np.bincount(ids)) if len(ids) else np.zeros(0, np.int64)
            number = np.zeros(int(seen[-1]) + 1 if len(seen) else 1, np.int64)
            number[seen] = np.arange(len(seen))
            self._key_cache[sig] = (number[ids], seen)
        return self._key_cache[sig]

    def _from_wider(self, sig: tuple) -> Counter | None:
        """The index of single columns summed from one already made over more of the same rows,
        when that holds few combinations (COUNTIFS(A, …, D, …, E, …) after COUNTIFS(A, …, D, …,
        E, …, F, …)); None when there is none."""
        if not all(c1 == c2 for _, c1, _, c2, _ in sig):
            return None
        rows = _rows_of(sig)
        if rows is None:
            return None
        n = rows[1] - rows[0] + 1
        wider = [(len(c), w, c) for w, c in self._by_rows.get(rows, ()) if set(sig) <= set(w) and len(c) * 4 < n]
        if not wider:
            return None
        _, w, c = min(wider, key=lambda x: x[0])
        at = [w.index(x) for x in sig]
        out: Counter = Counter()
        for key, count in c.items():
            out[tuple([key[i] for i in at])] += count
        return out


def _rows_of(sig: tuple) -> tuple | None:
    """(first row, last row, sheet) shared by the single-column ranges of an index, or None."""
    rows = {(r1, r2, sheet) for r1, _, r2, _, sheet in sig}
    return rows.pop() if len(rows) == 1 else None


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def _cell_key(v: object) -> tuple:
    if v is None or v == "":
        return ("b",)
    if isinstance(v, bool):
        return ("l", v)
    if isinstance(v, float):
        return ("n", v)
    if isinstance(v, ExcelError):
        return ("e", str(v))
    return ("s", v.casefold())


def _criterion_key(c: object) -> tuple | None:
    """The key a plain criterion matches (text without wildcards or operators that is not a
    number); None for a criterion that needs testing cell by cell."""
    if c is None:
        return None
    if isinstance(c, str):
        if c == "":
            return ("b",)
        if _SPECIAL_CRITERION.search(c) or _NUMBER.fullmatch(c) or c.upper() in ("TRUE", "FALSE"):
            return None
        return ("s", c.casefold())
    return None


def _criterion_test(c: object) -> Callable[[object], bool]:
    """A criterion of COUNTIFS as a test of one cell (operators, wildcards, numbers)."""
    if c is None:
        c = 0.0
    if isinstance(c, bool):
        return lambda v: v is c
    if isinstance(c, float):
        return lambda v: (
            (isinstance(v, float) and not isinstance(v, bool) and v == c)
            or (isinstance(v, str) and _NUMBER.fullmatch(v) is not None and float(v) == c)
        )
    m = re.match(r"(<>|<=|>=|=|<|>)?(.*)", c, re.S)
    op, rest = m.group(1) or "=", m.group(2)
    if _NUMBER.fullmatch(rest):
        n = float(rest)
        if op == "=":
            return lambda v: isinstance(v, float) and v == n
        return lambda v: isinstance(v, float) and compare(v, n, op) is True
    if rest.upper() in ("TRUE", "FALSE"):
        b = rest.upper() == "TRUE"
        return lambda v: isinstance(v, bool) and compare(v, b, op) is True
    if rest == "":
        if op == "=":
            return lambda v: v is None or v == ""
        if op == "<>":
            return lambda v: not (v is None or v == "")
    if op in ("=", "<>"):
        pattern = re.compile(_wildcard(rest), re.S | re.IGNORECASE)

        def match(v: object) -> bool:
            hit = isinstance(v, str) and pattern.fullmatch(v) is not None
            return hit if op == "=" else not hit

        return match
    return lambda v: isinstance(v, str) and compare(v, rest, op) is True


def _wildcard(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "~" and i + 1 < len(text):
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return "".join(out)


# --- worksheet XML ----------------------------------------------------------------------------
_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_SI = re.compile(r"<si>(.*?)</si>|<si/>", re.S)
_T = re.compile(r"<t(?:\s[^>]*)?>(.*?)</t>|<t\s*/>", re.S)
_RPH = re.compile(r"<rPh\b.*?</rPh>", re.S)


def shared_strings(xml: str | None) -> list[str]:
    """The workbook's shared strings, in order."""
    if not xml:
        return []
    return [_si_text(m.group(1) or "") for m in _SI.finditer(xml)]


def _si_text(inner: str) -> str:
    inner = _RPH.sub("", inner)
    return _unescape("".join(m.group(1) or "" for m in _T.finditer(inner)))


def read_sheet(name: str, xml: str, strings: list[str] | Callable[[], list[str]], columns=None) -> Sheet:
    """A worksheet's cells (constants, and formulas to evaluate); `columns`: only these
    column letters. Shared strings are read only when a cell needs them."""
    sheet = Sheet(name)
    cache: list[list[str]] = []

    def shared(i: int) -> str:
        if not cache:
            cache.append(strings() if callable(strings) else strings)
        return cache[0][i] if i < len(cache[0]) else ""

    for m in _CELL.finditer(xml):
        letters, row, attrs, inner = m.group(1), int(m.group(2)), m.group(3), m.group(4) or ""
        if columns is not None and letters not in columns:
            continue
        c = col_index(letters)
        f = re.search(r"<f(?:\s[^>]*)?>(.*?)</f>", inner, re.S)
        if f and f.group(1):
            sheet.formulas[(row, c)] = _unescape(f.group(1))
            sheet.max_row = max(sheet.max_row, row)
            continue
        t = re.search(r'\bt="(\w+)"', attrs)
        kind = t.group(1) if t else "n"
        v = re.search(r"<v>(.*?)</v>", inner, re.S)
        raw = _unescape(v.group(1)) if v else None
        if kind == "inlineStr":
            value = _si_text(inner)
        elif raw is None:
            value = None
        elif kind == "s":
            value = shared(int(raw))
        elif kind in ("str",):
            value = raw
        elif kind == "b":
            value = raw.strip() == "1"
        elif kind == "e":
            value = ExcelError(raw)
        else:
            try:
                value = float(raw)
            except ValueError:
                value = raw
        if value is not None and value != "":
            sheet.set(row, c, value)
        else:
            sheet.max_row = max(sheet.max_row, row)
    return sheet


_SHEET_DATA = re.compile(rb"<sheetData[\s>/]")
_PREFIXED_TAG = re.compile(rb"</?[A-Za-z_][\w.-]*:")
_FORMULA_TAG = re.compile(rb"<f[\s>/]")
_ANY_CELL = re.compile(rb"<c[\s>/]")
_PLACED_CELL = re.compile(rb'<c r="[A-Z]{1,3}(\d+)"')
_PLAIN_TYPES = frozenset((str, float, int, bool))


def read_plain_sheet(name: str, xml: bytes, rows: Callable[[], list[list]], strings_xml: Callable[[], bytes]):
    """The same `Sheet` as `read_sheet`, from the sheet's values already read by python-calamine
    (`rows()`: its `to_python(skip_empty_area=False)`), when the sheet holds only constants that
    read the same either way: no formula, no error or date-typed cell, no phonetic text, every
    cell written `<c r="A1"…` without a prefix, and only text, numbers and booleans (no date
    formats). None when any of that is not so: read it with `read_sheet`."""
    start = xml.find(b"<sheetData")
    if start < 0 or not _SHEET_DATA.match(xml, start, start + 12):
        return None
    end = xml.find(b"</sheetData>", start)
    end = len(xml) if end < 0 else end
    if (
        _PREFIXED_TAG.search(xml, start, end)
        or _FORMULA_TAG.search(xml, start, end)
        or any(xml.find(x, start, end) >= 0 for x in (b' t="e"', b' t="d"', b"<rPh"))
    ):
        return None
    placed = _PLACED_CELL.findall(xml, start, end)
    if len(placed) != len(_ANY_CELL.findall(xml, start, end)):
        return None
    if xml.find(b' t="s"', start, end) >= 0 and b"<rPh" in strings_xml():
        return None
    try:
        values = rows()
    except Exception:  # noqa: BLE001 - calamine could not read it: the slow reader decides
        return None
    sheet = Sheet(name, max_row=max(map(int, set(placed)), default=0))
    if len(values) > max(sheet.max_row, 1):
        return None
    width = max(map(len, values), default=0)
    for c in range(width):
        col = [r[c] if c < len(r) else "" for r in values]
        if not set(map(type, col)) <= _PLAIN_TYPES:
            return None
        col = [None if v == "" else float(v) if type(v) is int else v for v in col]
        while col and col[-1] is None:
            col.pop()
        if col:
            sheet.columns[c + 1] = col
    return sheet


def put_values(xml: str, values: dict[tuple[int, int], object]) -> str:
    """The worksheet XML with each formula cell's cached value replaced by `values`
    ((row, column) → Excel value)."""

    def repl(m: re.Match) -> str:
        letters, row, attrs, inner = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        key = (row, col_index(letters))
        if inner is None or key not in values or "<f" not in inner:
            return m.group(0)
        f = re.search(r"<f(?:\s[^>]*)?>.*?</f>|<f[^>]*/>", inner, re.S)
        attrs = re.sub(r'\s+t="\w+"', "", attrs)
        return formula_cell(f"{letters}{row}", attrs, f.group(0), values[key])

    return _CELL.sub(repl, xml)


def sheet_values(book: Book, sheet: Sheet) -> dict[tuple[int, int], object]:
    """The value of every formula of `sheet` (`Book.value` of each). Python's cycle collector
    is paused meanwhile: the indexes of a province's hundreds of thousands of rows would be
    walked through again and again for no cycle (a fifth of the time)."""
    sh = book._sheet(sheet.name)
    paused = gc.isenabled()
    gc.disable()
    try:
        if sh is None:
            return {rc: REF for rc in sorted(sheet.formulas)}
        formulas, value, column = sh.formulas, book._formula_value, sh.column
        out = {}
        for r, c in sorted(sheet.formulas):
            if (r, c) in formulas:
                out[(r, c)] = value(sh, r, c)
            else:  # `sheet` is not the book's sheet of that name: what the book's holds
                col = column(c)
                out[(r, c)] = col[r - 1] if r - 1 < len(col) else None
        return out
    finally:
        if paused:
            gc.enable()
