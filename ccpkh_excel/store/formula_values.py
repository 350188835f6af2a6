"""The computed value of every formula the tool writes, so it can travel as the cell's cached
value (`<c><f>…</f><v>…</v></c>`).

Excel recalculates on open anyway (`fullCalcOnLoad`), but pandas, python-calamine, file
previewers, phone viewers and Excel's Protected View only read the cached value. The values
are computed the way Excel and LibreOffice compute them:

- a small evaluator for the formulas of Thống kê (COUNTIFS, COUNTIF, SUM, IF, AND, OR, ROUND,
  INT, comparisons, arithmetic), over the cells as written — so the values follow whatever the
  sheet holds, even a Thống kê older than the plan. COUNTIFS with plain criteria is answered
  from one index per set of ranges (built once, one pass over the rows): linear in rows.
- `summary_evaluation`: the "Đánh giá" formula of a Tổng hợp row (`stats_sheet.row_formula`),
  in Python with the same semantics, for a province's ten thousand rows.

A test recalculates a copy without the values in LibreOffice and compares every formula cell.
"""

from __future__ import annotations

import re
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
    if v is None or v == "":
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


class _Parser:
    """Recursive descent, Excel's precedence: comparison < & < + - < * / < ^ < unary < %."""

    def __init__(self, formula: str, sheet: str):
        self.toks, self.i, self.sheet = _tokens(formula), 0, sheet

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
        if "!" in text:
            name, text = text.rsplit("!", 1)
            sheet = name[1:-1].replace("''", "'") if name.startswith("'") else name
        ends = []
        for part in text.split(":"):
            m = _A1.fullmatch(part)
            ends.append((col_index(m.group(1)), int(m.group(2)) if m.group(2) else None))
        if len(ends) == 1:
            return ("cell", sheet, ends[0][1], ends[0][0])
        (c1, r1), (c2, r2) = ends
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


_KEEP_PARSED = 1000  # characters
_SPECIAL_CRITERION = re.compile(r"[*?~]|^(?:<>|<=|>=|=|<|>)")


class Book:
    """The sheets the formulas read, and the evaluator."""

    def __init__(self, sheets: list[Sheet]):
        self.sheets = {s.name.casefold(): s for s in sheets}
        self._values: dict[tuple[str, int, int], object] = {}
        self._parsed: dict[tuple[str, str], object] = {}
        self._index: dict[tuple, Counter | dict] = {}
        self._key_cache: dict[tuple, list] = {}
        self._busy: set[tuple[str, int, int]] = set()
        self._formula_index: dict[str, dict[int, list[int]]] = {}
        self._countifs: dict[tuple, bool] = {}  # COUNTIFS range nodes → whether their shapes agree
        self._by_nodes: dict[tuple, Counter] = {}  # COUNTIFS range nodes → their index

    def _sheet(self, name: str) -> Sheet | None:
        return self.sheets.get(name.casefold())

    def value(self, sheet: str, r: int, c: int) -> object:
        """A cell's value: its constant, or its formula evaluated (once)."""
        sh = self._sheet(sheet)
        if sh is None:
            return REF
        key = (sh.name, r, c)
        if (r, c) in sh.formulas:
            if key not in self._values:
                if key in self._busy:
                    return ExcelError("#CIRC!")
                self._busy.add(key)
                try:
                    self._values[key] = self.evaluate(sh.formulas[(r, c)], sh.name)
                finally:
                    self._busy.discard(key)
            return self._values[key]
        col = sh.column(c)
        return col[r - 1] if r - 1 < len(col) else None

    def evaluate(self, formula: str, sheet: str) -> object:
        key = (sheet, formula)
        if key in self._parsed:
            node = self._parsed[key]
        else:
            try:
                node = parse(formula.lstrip("="), sheet)
            except ValueError:
                node = None
            if len(formula) <= _KEEP_PARSED:  # a long formula is rarely written twice: not kept
                self._parsed[key] = node
        if node is None:
            return NAME
        v = self._eval(node)
        if isinstance(v, tuple):  # a range where one value is wanted: its first cell
            v = self._cells(v)[0] if self._cells(v) else None
        return 0.0 if v is None else v  # a formula showing a blank cell shows 0

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
        return part + [None] * (r2 - r1 + 1 - len(part))

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
        out = []
        for i in range(c2 - c1 + 1):
            out.extend(self._column_values(rng, i))
        return out

    # -- evaluation --------------------------------------------------------------------
    def _eval(self, node):
        kind = node[0]
        if kind in ("num", "str", "bool"):
            return node[1]
        if kind == "cell":
            return self.value(node[1], node[2], node[3])
        if kind == "range":
            return node
        if kind == "neg":
            n = to_number(self._scalar(node[1]))
            return n if isinstance(n, ExcelError) else -n
        if kind == "bin":
            return self._binary(node[1], self._scalar(node[2]), self._scalar(node[3]))
        if kind == "func":
            fn = getattr(self, f"_fn_{node[1].replace('.', '_')}", None)
            return fn(node[2]) if fn else NAME
        return NAME

    def _scalar(self, node) -> object:
        v = self._eval(node)
        if isinstance(v, tuple):
            cells = self._cells(v)
            return cells[0] if len(cells) == 1 else VALUE
        return v

    @staticmethod
    def _binary(op: str, a: object, b: object) -> object:
        if op in ("=", "<>", "<", ">", "<=", ">="):
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

    # -- functions --------------------------------------------------------------------
    def _fn_IF(self, args):
        if not args or len(args) > 3:
            return VALUE
        cond = to_bool(self._scalar(args[0]))
        if isinstance(cond, ExcelError):
            return cond
        if cond:
            return self._scalar(args[1]) if len(args) > 1 else True
        return self._scalar(args[2]) if len(args) > 2 else False

    def _logical(self, args, combine):
        values = []
        for a in args:
            v = self._eval(a)
            items = self._cells(v) if isinstance(v, tuple) else [v]
            for x in items:
                if isinstance(x, str) and isinstance(v, tuple):
                    continue  # text in a range is skipped
                b = to_bool(x)
                if isinstance(b, ExcelError):
                    return b
                if x is not None or not isinstance(v, tuple):
                    values.append(b)
        return combine(values) if values else VALUE

    def _fn_AND(self, args):
        return self._logical(args, all)

    def _fn_OR(self, args):
        return self._logical(args, any)

    def _fn_NOT(self, args):
        b = to_bool(self._scalar(args[0]))
        return b if isinstance(b, ExcelError) else not b

    def _fn_INT(self, args):
        n = to_number(self._scalar(args[0]))
        return n if isinstance(n, ExcelError) else float(int(n // 1))

    def _fn_ROUND(self, args):
        x, d = to_number(self._scalar(args[0])), to_number(self._scalar(args[1]))
        for v in (x, d):
            if isinstance(v, ExcelError):
                return v
        return excel_round(x, int(d))

    def _fn_SUM(self, args):
        total = 0.0
        for a in args:
            v = self._eval(a)
            if isinstance(v, tuple):
                for x in self._cells(v):
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

    def _fn_COUNTIF(self, args):
        return self._fn_COUNTIFS(args)

    def _fn_COUNTIFS(self, args):
        if len(args) < 2 or len(args) % 2:
            return VALUE
        range_nodes = args[::2]
        if all(n[0] == "range" for n in range_nodes):  # the usual case: counted from one index
            crits = []
            for crit_node in args[1::2]:
                crit = self._scalar(crit_node)
                if isinstance(crit, ExcelError):
                    return crit
                crits.append(crit)
            rkey = tuple(range_nodes)
            same = self._countifs.get(rkey)
            if same is None:
                same = self._countifs[rkey] = (
                    len({(b[3] - b[1], b[4] - b[2]) for b in map(self._bounds, range_nodes)}) == 1
                )
            if not same:
                return VALUE
            keys = tuple(map(_criterion_key, crits))
            if None not in keys:
                return float(self._counter(list(range_nodes), rkey)[keys])
        ranges, criteria = [], []
        for rng_node, crit_node in zip(args[::2], args[1::2], strict=True):
            rng = self._eval(rng_node)
            if not isinstance(rng, tuple):
                return VALUE
            crit = self._scalar(crit_node)
            if isinstance(crit, ExcelError):
                return crit
            ranges.append(rng)
            criteria.append(crit)
        shapes = {(b[3] - b[1], b[4] - b[2]) for b in map(self._bounds, ranges)}
        if len(shapes) != 1:
            return VALUE
        keys = [_criterion_key(c) for c in criteria]
        if all(k is not None for k in keys):
            return float(self._counter(ranges)[tuple(keys)])
        tests = [_criterion_test(c) for c in criteria]
        plain = [i for i, k in enumerate(keys) if k is not None]
        if plain:  # the rows matching the plain criteria (one lookup), then the others tested on those only
            rows = self._groups([ranges[i] for i in plain]).get(tuple(keys[i] for i in plain), ())
            rest = [(tests[i], self._column_cache(ranges[i])) for i in range(len(keys)) if keys[i] is None]
            return float(sum(1 for j in rows if all(t(col[j]) for t, col in rest)))
        columns = [self._cells(r) for r in ranges]
        return float(sum(1 for row in zip(*columns, strict=True) if all(t(v) for t, v in zip(tests, row, strict=True))))

    def _signature(self, rng) -> tuple:
        return self._bounds(rng)[1:] + (rng[1].casefold(),)

    def _column_cache(self, rng) -> list:
        """The cells of a range, made once per range (for criteria tested cell by cell)."""
        sig = ("cells", self._signature(rng))
        if sig not in self._key_cache:
            self._key_cache[sig] = self._cells(rng)
        return self._key_cache[sig]

    def _groups(self, ranges) -> dict[tuple, list[int]]:
        """The positions of the rows holding each combination of values in `ranges`."""
        sig = ("groups", *(self._signature(r) for r in ranges))
        if sig not in self._index:
            groups: dict[tuple, list[int]] = {}
            for j, key in enumerate(zip(*(self._keys(r) for r in ranges), strict=True)):
                groups.setdefault(key, []).append(j)
            self._index[sig] = groups
        return self._index[sig]

    def _keys(self, rng) -> list[tuple]:
        """The matching key of each cell of a range (made once per range)."""
        sig = self._bounds(rng)[1:] + (rng[1].casefold(),)
        if sig not in self._key_cache:
            keys: list[tuple] = []
            append, known = keys.append, {}  # a column holds few distinct texts: fold each once
            for v in self._cells(rng):
                if type(v) is str:
                    k = known.get(v)
                    if k is None:
                        k = known[v] = _cell_key(v)
                    append(k)
                else:
                    append(_cell_key(v))
            self._key_cache[sig] = keys
        return self._key_cache[sig]

    def _counter(self, ranges, nodes: tuple | None = None) -> Counter:
        """How many rows hold each combination of values in `ranges`: built once, read often."""
        if nodes is not None and nodes in self._by_nodes:
            return self._by_nodes[nodes]
        sig = tuple(self._bounds(r)[1:] + (r[1].casefold(),) for r in ranges)
        if sig not in self._index:
            columns = [self._keys(r) for r in ranges]
            self._index[sig] = Counter(zip(*columns, strict=True))
        if nodes is not None:
            self._by_nodes[nodes] = self._index[sig]
        return self._index[sig]


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
    """The value of every formula of `sheet`."""
    return {rc: book.value(sheet.name, *rc) for rc in sorted(sheet.formulas)}
