"""The outline of the period BÁO CÁO on cải cách hành chính, and what the clerk writes for it.

The Ministry of Home Affairs asks ministries and provinces to report on CCHC each quarter,
each half year and each year following the outlines (đề cương) attached to its guidance on
the periodic CCHC report (Bộ Nội vụ, Công văn số 581/BNV-CCHC, with two outlines: quarterly
/ 6-month and yearly; the reporting regime of Thông tư số 07/2021/TT-BNV). The report here
follows their parts:

I.   Công tác chỉ đạo, điều hành (kế hoạch, kiểm tra, tuyên truyền, sáng kiến)
II.  Kết quả thực hiện, by field in the plan's order
III. Đánh giá chung: ưu điểm; tồn tại, hạn chế; nguyên nhân
IV.  Phương hướng, nhiệm vụ kỳ tới
V.   Đề xuất, kiến nghị

Figures come from the master; what only a person can judge comes from the sheet *Đánh giá*
(one row a paragraph: the period, the section, the text). A section the clerk left empty
gets a marked sentence to edit (`placeholder`), never a bare heading.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccpkh_excel.domain.periods import parse_period
from ccpkh_excel.domain.vntext import fold

SHEET = "Đánh giá"
PLACEHOLDER_MARK = "[CẦN BỔ SUNG]"


@dataclass(frozen=True)
class Section:
    key: str  # the "Mục" a clerk writes in the sheet Đánh giá
    hint: str  # what goes there, for the placeholder and the sheet's example rows
    required: bool = True  # a placeholder when nothing is written


CHI_DAO = (
    Section("Kế hoạch", "việc ban hành, triển khai kế hoạch CCHC của các cơ quan, đơn vị trong kỳ"),
    Section("Kiểm tra", "số cuộc kiểm tra CCHC, đơn vị được kiểm tra, kết quả và việc xử lý sau kiểm tra"),
    Section("Tuyên truyền", "các hình thức tuyên truyền CCHC đã thực hiện trong kỳ"),
    Section("Sáng kiến", "sáng kiến, mô hình mới, cách làm hay trong CCHC"),
)
DANH_GIA = (
    Section("Ưu điểm", "những kết quả nổi bật của kỳ"),
    Section("Tồn tại, hạn chế", "những việc chưa làm được, chậm, chất lượng chưa đạt"),
    Section("Nguyên nhân", "nguyên nhân khách quan, chủ quan của tồn tại, hạn chế"),
)
PHUONG_HUONG = Section("Phương hướng", "nhiệm vụ trọng tâm kỳ tới ngoài các nhiệm vụ đến hạn", required=False)
DE_XUAT = Section("Đề xuất, kiến nghị", "đề xuất, kiến nghị với cấp trên")
SECTIONS = (*CHI_DAO, *DANH_GIA, PHUONG_HUONG, DE_XUAT)
SECTION_KEYS = tuple(s.key for s in SECTIONS)


def placeholder(section: Section) -> str:
    """The marked sentence standing where the clerk has not written a section yet."""
    return (
        f"{PLACEHOLDER_MARK} {section.hint[0].upper()}{section.hint[1:]}: ghi vào sheet «{SHEET}» của sổ "
        f"theo dõi, mục «{section.key}», rồi viết lại báo cáo (hoặc sửa trực tiếp đoạn này)."
    )


def assessments(rows, period: str) -> dict[str, list[str]]:
    """The clerk's paragraphs by section key (folded match; also a field's name) for `period`:
    rows whose Kỳ báo cáo is empty hold for every period."""
    label = parse_period(period).label
    want = fold(label)
    keys = {fold(k): k for k in SECTION_KEYS}
    out: dict[str, list[str]] = {}
    for r in rows:
        text = str(getattr(r, "text", "") or "").strip()
        section = str(getattr(r, "section", "") or "").strip()
        when = str(getattr(r, "period", "") or "").strip()
        if not text or not section or (when and fold(when) != want):
            continue
        out.setdefault(keys.get(fold(section), section), []).append(text)
    return out


def is_yearly(period: str) -> bool:
    p = parse_period(period)
    return p.start.month == 1 and p.end.month == 12
