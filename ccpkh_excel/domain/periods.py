"""Reporting periods: Quý I–IV/YYYY, 6 tháng đầu năm YYYY, Năm YYYY."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from ccpkh_excel.domain.vntext import ascii_slug, fold
from ccpkh_excel.errors import CcpkhError

ROMAN = ("I", "II", "III", "IV")


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period; ordered by its end, then by length (a quarter before the year)."""

    end: date
    start: date
    label: str

    @property
    def slug(self) -> str:
        """ASCII form for file names: Quy_I_2026, 6_thang_dau_nam_2026, Nam_2026."""
        return ascii_slug(self.label)

    def __str__(self) -> str:
        return self.label


def parse_period(text: object) -> Period:
    """Parse a period label; raise CcpkhError with the accepted forms when unknown."""
    key = fold(str(text or "").replace("/", " "))
    if m := re.fullmatch(r"quy (i{1,3}|iv|[1-4]) (?:nam )?(\d{4})", key):
        q = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(m.group(1)) or int(m.group(1))
        y = int(m.group(2))
        end_month = q * 3
        end = date(y, end_month, 30 if end_month in (6, 9) else 31)
        return Period(end, date(y, end_month - 2, 1), f"Quý {ROMAN[q - 1]}/{y}")
    if m := re.fullmatch(r"6 thang dau nam (\d{4})", key):
        y = int(m.group(1))
        return Period(date(y, 6, 30), date(y, 1, 1), f"6 tháng đầu năm {y}")
    if m := re.fullmatch(r"nam (\d{4})", key):
        y = int(m.group(1))
        return Period(date(y, 12, 31), date(y, 1, 1), f"Năm {y}")
    raise CcpkhError(
        f"Kỳ báo cáo '{text}' không hợp lệ. Dùng: 'Quý I/2026' … 'Quý IV/2026', '6 tháng đầu năm 2026' hoặc 'Năm 2026'."
    )


@lru_cache(maxsize=256)
def period_key(label: str) -> tuple:
    """Sort key for a stored period label; unknown labels sort first."""
    try:
        p = parse_period(label)
        return (p.end, p.end - p.start)
    except CcpkhError:
        return (date.min, 0)
