"""The sheet *Đánh giá* of the master: what the clerk writes for the parts of the BÁO CÁO that
only a person can judge (công tác chỉ đạo, ưu điểm, tồn tại, nguyên nhân, phương hướng, đề
xuất), one row a paragraph. Its sections are `domain.outline.SECTIONS`."""

from __future__ import annotations

from ccpkh_excel.domain.outline import SECTIONS, SHEET
from ccpkh_excel.store.schema import Column, SheetSpec

ASSESSMENT = SheetSpec(
    SHEET,
    "DanhGia",
    (
        Column("Kỳ báo cáo", 18, key="period"),
        Column("Mục", 22, key="section"),
        Column("Nội dung", 110, key="text"),
    ),
)


def starter_rows() -> list[list[str]]:
    """One empty row per section, so a clerk sees where to write (empty rows are ignored)."""
    return [["", s.key, ""] for s in SECTIONS]


def read_assessment(m) -> tuple[list, bool]:
    """(rows, present) of the sheet in the master `m`."""
    if not m.has_sheet(ASSESSMENT):
        return [], False
    return m.sheet(ASSESSMENT), True
