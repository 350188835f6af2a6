"""Deadlines: turn a plan's "Thời gian hoàn thành" into a due date.

Rules (the forms found in real plans):
- "Quý I/2026" → last day of the quarter; "Tháng 01/2026" → last day of the month;
- "Năm 2026", "Trong năm 2026" → 31/12; "6 tháng đầu năm 2026" → 30/06;
- "Trước 01/6/2026", "Trước ngày 25/4/2026" → the day before; "15/3/2026" → that day;
- "Quý II/2026 (sau khi Bộ Nội vụ công bố)" → 30/06, the condition goes to Ghi chú;
- "Sau khi có Kế hoạch của UBND tỉnh (dự kiến quý I/2026)" → the expected date, condition kept;
- "Thường xuyên", "Hằng năm" → recurring, no date; "Theo lộ trình …" → open, no date.
Anything else is UNKNOWN: reported, never guessed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from ccpkh_excel.domain.vntext import clean, fold

DATE = "date"
RECURRING = "recurring"
OPEN = "open"
MISSING = "missing"
UNKNOWN = "unknown"

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Deadline:
    """A parsed deadline: `kind` is DATE, RECURRING, OPEN, MISSING or UNKNOWN."""

    text: str
    kind: str
    due: date | None = None
    condition: str = ""

    @property
    def note(self) -> str:
        """What goes to Ghi chú: the condition, or the recurring/open mark."""
        if self.condition:
            return self.condition[0].upper() + self.condition[1:]
        if self.kind == RECURRING:
            return "Nhiệm vụ thường xuyên, không có hạn cụ thể"
        if self.kind == OPEN:
            return "Chưa có hạn cụ thể (theo lộ trình được phê duyệt)"
        return ""


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year(text: str, default: int | None) -> int | None:
    if text:
        y = int(text)
        return y + 2000 if y < 100 else y
    return default


_SEP = r"\s*(?:/|\s)\s*(?:nam\s+)?"  # "Quý I/2026", "quý I năm 2026"
_PREFIX = r"(?:trong|het|den het|truoc het|hoan thanh trong|thuc hien trong|cuoi)\s+"


def _parse_core(key: str, year: int | None) -> date | None:
    """Parse a folded deadline (with "/" kept) without its condition; None if unknown."""
    key = re.sub(r"^(?:" + _PREFIX + r")+", "", key.strip())
    if m := re.fullmatch(r"quy\s+(i{1,3}|iv|[1-4])" + _SEP + r"(\d{4})", key):
        return _month_end(int(m.group(2)), _ROMAN[m.group(1)] * 3)
    if m := re.fullmatch(r"thang\s+(\d{1,2})" + _SEP + r"(\d{4})", key):
        month = int(m.group(1))
        return _month_end(int(m.group(2)), month) if 1 <= month <= 12 else None
    if m := re.fullmatch(r"(?:nam\s+)?(\d{4})", key):
        return date(int(m.group(1)), 12, 31)
    if m := re.fullmatch(r"6\s+thang\s+(dau|cuoi)\s+nam\s+(\d{4})", key):
        y = int(m.group(2))
        return date(y, 6, 30) if m.group(1) == "dau" else date(y, 12, 31)
    pattern = r"(truoc|cham nhat|muon nhat|han cuoi)?\s*(?:ngay\s+)?(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?"
    if m := re.fullmatch(pattern, key):
        y = _year(m.group(4) or "", year)
        if y is None or y < 2000:
            return None
        try:
            day = date(y, int(m.group(3)), int(m.group(2)))
        except ValueError:
            return None
        return day - timedelta(days=1) if m.group(1) == "truoc" else day
    return None


_RECURRING = ("thuong xuyen", "hang nam", "hang quy", "hang thang", "dinh ky", "lien tuc")
_OPEN = ("theo lo trinh", "theo tien do", "khi co yeu cau", "theo yeu cau", "theo chi dao")


def parse_deadline(text: object, year: int | None = None) -> Deadline:
    """Parse one "Thời gian hoàn thành" cell. `year` fills dates written without one."""
    raw = clean(text)
    if not raw:
        return Deadline(raw, MISSING)
    # fold() drops "/" and "(": keep them visible to the patterns first.
    marked = raw.replace("/", " / ").replace("(", " ( ").replace(")", " ) ")
    key = " ".join(fold(part) if part not in "/()" else part for part in marked.split())
    key = re.sub(r"\s*/\s*", "/", key)
    plain = key.replace("/", " ")
    plain = re.sub(r"\s+", " ", plain.replace("(", " ").replace(")", " ")).strip()
    # "… (dự kiến quý I/2026)" / "Quý II/2026 (sau khi …)"
    outer, inner = key, ""
    if m := re.fullmatch(r"(.*?)\s*\(\s*(.*?)\s*\)\s*", key):
        outer, inner = m.group(1).strip(), m.group(2).strip()
    raw_outer, raw_inner = raw, ""
    if m := re.fullmatch(r"(.*?)\s*\((.*?)\)\s*", raw):
        raw_outer, raw_inner = m.group(1).strip(), m.group(2).strip()

    def core(k: str) -> date | None:
        return _parse_core(k, year)

    if (due := core(key)) is not None:
        return Deadline(raw, DATE, due)
    if inner:
        if (due := core(outer)) is not None:
            return Deadline(raw, DATE, due, raw_inner)
        expected = re.sub(r"^(du kien|khoang|uoc)\s+", "", inner)
        if expected != inner and (due := core(expected)) is not None:
            return Deadline(raw, DATE, due, raw_outer)
    if any(plain.startswith(p) for p in _RECURRING):
        return Deadline(raw, RECURRING)
    if any(plain.startswith(p) for p in _OPEN):
        return Deadline(raw, OPEN)
    return Deadline(raw, UNKNOWN)


_DIGIT_LOOKALIKES = str.maketrans("OoQDlI|i", "00001111")


def ocr_deadline(text: object) -> str:
    """A deadline as OCR reads it, with the usual confusions undone: O/o for 0 and I/l/| for 1
    in numbers ("2O26", "0l/6/2026"), 1/l/| for I in the quarter ("Quý l/2026"). Unchanged
    when nothing looks confused."""
    s = clean(text).replace("\u2044", "/").replace("\u2215", "/")
    s = re.sub(
        r"(?i)\b(qu[yýỳ]\s+)([IVl1|]{1,4})(?=\s*/|\s+n[aă]m)",
        lambda m: m.group(1) + m.group(2).translate(str.maketrans("l1|", "III")).upper(),
        s,
    )

    def number(m: re.Match) -> str:
        return m.group(0).translate(_DIGIT_LOOKALIKES)

    return re.sub(r"(?<![A-Za-zÀ-ỹ])[0-9OoQDlI|i]*[0-9][0-9OoQDlI|i/.]*(?![A-Za-zÀ-ỹ])", number, s)
