from datetime import date

import pytest

from ccpkh_excel.domain.deadlines import DATE, MISSING, OPEN, RECURRING, UNKNOWN, parse_deadline


@pytest.mark.parametrize(
    "text, due, condition",
    [
        ("Quý I/2026", date(2026, 3, 31), ""),
        ("Quý II/2026", date(2026, 6, 30), ""),
        ("Quý III/2026", date(2026, 9, 30), ""),
        ("Quý IV/2026", date(2026, 12, 31), ""),
        ("quý iv năm 2026", date(2026, 12, 31), ""),
        ("Quý II/2026 (sau khi Bộ Nội vụ công bố)", date(2026, 6, 30), "sau khi Bộ Nội vụ công bố"),
        ("Tháng 01/2026", date(2026, 1, 31), ""),
        ("Tháng 2/2028", date(2028, 2, 29), ""),
        ("Trước 01/6/2026", date(2026, 5, 31), ""),
        ("Trước ngày 25/4/2026", date(2026, 4, 24), ""),
        ("Trước ngày 01/01/2027", date(2026, 12, 31), ""),
        ("15/3/2026", date(2026, 3, 15), ""),
        ("Năm 2026", date(2026, 12, 31), ""),
        ("Trong năm 2026", date(2026, 12, 31), ""),
        ("6 tháng đầu năm 2026", date(2026, 6, 30), ""),
        (
            "Sau khi có Kế hoạch của UBND tỉnh (dự kiến quý I/2026)",
            date(2026, 3, 31),
            "Sau khi có Kế hoạch của UBND tỉnh",
        ),
        (
            "Sau khi có Kế hoạch của UBND tỉnh (dự kiến tháng 01/2026)",
            date(2026, 1, 31),
            "Sau khi có Kế hoạch của UBND tỉnh",
        ),
    ],
)
def test_dated_forms(text, due, condition):
    d = parse_deadline(text)
    assert (d.kind, d.due, d.condition) == (DATE, due, condition)


def test_condition_goes_to_note_capitalised():
    assert parse_deadline("Quý II/2026 (sau khi Bộ Nội vụ công bố)").note == "Sau khi Bộ Nội vụ công bố"


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Thường xuyên", RECURRING),
        ("Hằng năm", RECURRING),
        ("Theo lộ trình được cấp có thẩm quyền phê duyệt", OPEN),
        ("", MISSING),
        ("Khi nào xong", UNKNOWN),
        ("Quý 5/2026", UNKNOWN),
        ("Tháng 13/2026", UNKNOWN),
        ("31/02/2026", UNKNOWN),
        ("Trước 30/6", UNKNOWN),  # no year and none given: reported, not guessed
    ],
)
def test_undated_forms(text, kind):
    d = parse_deadline(text)
    assert d.kind == kind and d.due is None


def test_year_fills_a_date_without_one():
    assert parse_deadline("Trước 30/6", year=2026).due == date(2026, 6, 29)


@pytest.mark.parametrize(
    "read, fixed, due",
    [
        ("Quý l/2O26", "Quý I/2026", date(2026, 3, 31)),
        ("Quý I1⁄2026 (sau khi Bộ Nội vụ công bố)", "Quý II/2026 (sau khi Bộ Nội vụ công bố)", date(2026, 6, 30)),
        ("Trước 0l/6/2026", "Trước 01/6/2026", date(2026, 5, 31)),
        ("Tháng 1O/2026", "Tháng 10/2026", date(2026, 10, 31)),
        ("31/l2/2026", "31/12/2026", date(2026, 12, 31)),
        ("Thường xuyên", "Thường xuyên", None),
    ],
)
def test_ocr_deadline_undoes_the_usual_confusions(read, fixed, due):
    from ccpkh_excel.domain.deadlines import ocr_deadline

    assert ocr_deadline(read) == fixed
    assert parse_deadline(fixed).due == due
