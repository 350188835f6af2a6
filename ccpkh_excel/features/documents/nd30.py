"""Nghị định 30/2020/NĐ-CP, Phụ lục I: the format of administrative documents, as data.

Written once, used twice: `templates` draws the Word templates with the `USE` values,
`lint_docx` checks any document against the ranges. Sources and open points: see
shared/ND30.md (Phụ lục I, Mục I–V; Phụ lục III Mẫu 1.4, 2.1). Sizes are in points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FONT = "Times New Roman"
LEGACY_FONTS = re.compile(r"^(\.Vn|VNI)", re.IGNORECASE)

# Paper: A4, portrait; landscape only for sections holding a phụ lục / wide table.
PAGE_MM = (210, 297)
MARGINS_MM = {"top": (20, 25), "bottom": (20, 25), "left": (30, 35), "right": (15, 20)}
MARGIN_TOLERANCE_MM = 0.5
MARGINS_USE_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
HEADER_DISTANCE_MM = 10


@dataclass(frozen=True)
class Element:
    """One element of the layout: its size range, the size templates use, and its style."""

    name: str  # Vietnamese, for messages
    sizes: tuple[int, int]
    use: int
    bold: bool | None = None  # None: not prescribed
    italic: bool | None = None
    upper: bool = False


QUOC_HIEU = Element("Quốc hiệu", (12, 13), 12, bold=True, italic=False, upper=True)
TIEU_NGU = Element("Tiêu ngữ", (13, 14), 13, bold=True, italic=False)
CHU_QUAN = Element("Tên cơ quan chủ quản", (12, 13), 12, bold=False, upper=True)
BAN_HANH = Element("Tên cơ quan ban hành", (12, 13), 12, bold=True, upper=True)
SO_KY_HIEU = Element("Số, ký hiệu", (13, 13), 13, bold=False, italic=False)
DIA_DANH = Element("Địa danh, ngày tháng năm", (13, 14), 13, italic=True)
TEN_LOAI = Element("Tên loại văn bản", (13, 14), 14, bold=True, upper=True)
TRICH_YEU = Element("Trích yếu", (13, 14), 14, bold=True)
V_V = Element("Trích yếu công văn (V/v)", (12, 13), 12, bold=False)
CAN_CU = Element("Căn cứ", (13, 14), 14, italic=True)
NOI_DUNG = Element("Nội dung", (13, 14), 14)
KINH_GUI = Element("Kính gửi", (13, 14), 14)
QUYEN_HAN = Element("Quyền hạn, chức vụ người ký", (13, 14), 14, bold=True, upper=True)
HO_TEN = Element("Họ tên người ký", (13, 14), 14, bold=True)
NOI_NHAN = Element("Nơi nhận", (12, 12), 12, bold=True, italic=True)
NOI_NHAN_LIST = Element("Danh sách nơi nhận", (11, 11), 11, bold=False, italic=False)
SO_TRANG = Element("Số trang", (13, 14), 14, bold=False, italic=False)
PHU_LUC = Element("Chữ 'Phụ lục'", (14, 14), 14, bold=True, italic=False)
PHU_LUC_TITLE = Element("Tên phụ lục", (13, 14), 14, bold=True, upper=True)
KEM_THEO = Element("Dòng 'Kèm theo …'", (13, 14), 14, italic=True)
TABLE_TEXT = 12  # the decree is silent on phụ lục tables; the Mẫu use 12

# Body paragraphs
FIRST_LINE_CM = (1.0, 1.27)
FIRST_LINE_USE_CM = 1.27
SPACING_MIN_PT = 6
SPACING_USE_PT = 6
LINE_SPACING = (1.0, 1.5)
LINE_SPACING_USE = 1.15

TIEU_NGU_TEXT = "Độc lập - Tự do - Hạnh phúc"
QUOC_HIEU_TEXT = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
AUTHORITY = re.compile(r"^(TM|KT|Q|TL|TUQ)\. \S")
NAME_TITLES = re.compile(r"^(GS|PGS|TS|ThS|TSKH|BS|KS)\.", re.IGNORECASE)
# "Số: 188/KH-UBND" or, for an electronic document whose number the system assigns, "Số:    /KH-UBND"
SO_PATTERN = re.compile(r"^Số: ?(0[1-9]|[1-9]\d+| *|…*)/[A-ZĐa-z]+(-[A-ZĐ0-9&a-z]+)+$")
# "Thái Nguyên, ngày 05 tháng 02 năm 2026": days < 10 and months 1, 2 with a leading 0.
# (a day and month left blank — spaces or "…" — are filled in at signing)
DATE_PATTERN = re.compile(
    r"^[A-ZĐÂĂÊÔƠƯ][^,]*, ngày (?:(?:0[1-9]|[12]\d|3[01]|…+) +)?tháng (?:(?:0[12]|[3-9]|1[0-2]|…+) +)?năm \d{4}$"
)


def date_line(place: str, day, year: int | None = None) -> str:
    """The date line as the decree writes it; blanks (to be filled at signing) when no date."""
    if day is None:
        return f"{place}, ngày      tháng      năm {year or ''}".rstrip()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def long_date(day) -> str:
    """ "ngày 05 tháng 02 năm 2026" for citing a document."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def pad_number(so: str) -> str:
    """ "5/KH-SNV" → "05/KH-SNV": a number below 10 takes a leading 0 (Phụ lục I, II.3)."""
    return re.sub(r"^(\s*)([1-9])(?=/)", r"\g<1>0\2", so)


# Điểm (points) are lettered a), b), c) … in the Vietnamese alphabet, without f, j, w, z
POINT_LETTERS = "abcdđeghiklmnopqrstuvxy"


def point(i: int) -> str:
    """The label of the i-th point (0-based): a), b), … đ) …; past y) aa), ab) …"""
    n = len(POINT_LETTERS)
    return (POINT_LETTERS[i] if i < n else POINT_LETTERS[i // n - 1] + POINT_LETTERS[i % n]) + ")"
