"""Prose assignments (issue 11, requirement 4): a programme without a DANH MỤC whose section
"Tổ chức thực hiện" assigns duties unit by unit imports one task per lettered point, with the
right lead, cooperators and deadline — in Unicode, without diacritics, and garbled as OCR text."""

import pytest
from docx_builder import PROGRAMME_EXPECTED, programme_docx, programme_lines, programme_ocr_text, strip_diacritics

from ccpkh_excel import read_plan
from ccpkh_excel.domain.plan import resolve_task
from ccpkh_excel.errors import SourceError
from ccpkh_excel.features.importing import import_plan, read_source
from ccpkh_excel.features.prose import SECTION, programme_end


def _got(master):
    plan = read_plan(master)
    d = plan.directory()
    out = []
    for t in plan.tasks:
        r = resolve_task(t, d)
        out.append((t.stt, set(r.lead.codes), set(r.coop.codes), t.deadline))
    return plan, out


def _write(tmp_path, kind, text):
    if kind == "docx":
        return programme_docx(tmp_path / "ct.docx", text)
    path = tmp_path / "ct.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["docx", "txt"])
@pytest.mark.parametrize(
    "variant, clean",
    [("unicode", True), ("no_diacritics", True), ("ocr", False)],
)
def test_one_task_per_point_with_the_right_leads(tmp_path, units_master, kind, variant, clean):
    text = {
        "unicode": "\n".join(programme_lines()),
        "no_diacritics": strip_diacritics("\n".join(programme_lines())),
        "ocr": programme_ocr_text(),
    }[variant]
    report = import_plan(_write(tmp_path, kind, text), units_master)
    assert report.table.prose and report.table.tables == [f"mục {SECTION}"]
    # guessed names are warned about (exit 1); exact ones are not
    assert report.exit_code == (0 if clean else 1), [p.message for p in report.problems] + report.warnings
    assert not report.problems
    plan, got = _got(units_master)
    assert got == PROGRAMME_EXPECTED
    assert {t.field for t in plan.tasks} == {SECTION}
    assert all(t.due is not None for t, e in zip(plan.tasks, PROGRAMME_EXPECTED, strict=True) if e[3] != "Thường xuyên")


def test_only_the_section_gives_tasks(tmp_path, units_master):
    import_plan(_write(tmp_path, "txt", "\n".join(programme_lines())), units_master)
    plan = read_plan(units_master)
    contents = " ".join(t.content for t in plan.tasks)
    for outside in (
        "Căn cứ Luật",
        "Quyết định này có hiệu lực",
        "Như Điều 3",
        "nền hành chính dân chủ",
        "Kinh phí thực hiện Chương trình do",
        "vướng mắc",
        "PHÓ CHỦ TỊCH",
    ):
        assert outside not in contents
    # a point's lines are one task's text; the intro sentence of a unit without points is its task
    assert plan.tasks[0].content.startswith("Căn cứ Chương trình này, xây dựng kế hoạch")
    assert plan.tasks[2].content.endswith("tổ chức điều tra xã hội học.")
    assert plan.tasks[0].lead == "Các sở, ban, ngành, UBND cấp xã"


def test_wrapped_lines_join_into_their_point(tmp_path, units_master):
    lines = []
    for line in programme_lines():  # as a PDF's text or an OCR'd page gives it: lines of ~70 characters
        while len(line) > 70:
            cut = line.rfind(" ", 0, 70)
            lines.append(line[:cut])
            line = line[cut + 1 :]
        lines.append(line)
    report = import_plan(_write(tmp_path, "txt", "\n".join(lines)), units_master)
    assert report.exit_code == 0, report.warnings
    _, got = _got(units_master)
    assert got == PROGRAMME_EXPECTED


def test_programme_end_and_year():
    assert programme_end(["Chương trình CCHC giai đoạn 2026 - 2030"]) == "Năm 2030"
    assert programme_end(["Chuong trinh CCHC giai doan 2026 – 2O3O"]) == "Năm 2030"
    assert programme_end(["Kế hoạch CCHC năm 2026"]) == "Năm 2026"
    assert programme_end(["Không có năm"]) == ""


def test_a_document_without_table_or_section_is_refused(tmp_path):
    path = tmp_path / "thu.txt"
    path.write_text("Kính gửi: Sở Nội vụ\nĐề nghị báo cáo kết quả.\n", encoding="utf-8")
    with pytest.raises(SourceError) as exc:
        read_source(path)
    assert "không tìm thấy bảng danh mục nhiệm vụ" in str(exc.value)
    assert "Tổ chức thực hiện" in str(exc.value)


def test_garbled_point_letters_and_unit_numbers():
    """ "¢)" for c), "0)" for g), "b}" for b), "7.86Y té" for "7. Sở Y tế"; a sub-unit in
    parentheses resolves to its unit."""
    from ccpkh_excel.domain.sample import sample_units
    from ccpkh_excel.domain.units import Directory
    from ccpkh_excel.features.prose import read_prose

    lines = ["VI. TO CHUC THUC HIEN", "7.86Y té"]
    lines += [
        f"{m} Chu tri nhiem vu so {k}." for k, m in enumerate(["a)", "b}", "¢)", "d)", "đ)", "e)", "0)"], start=1)
    ]
    lines += [
        "8. S6 Noi vu (Ban Thi dua - Khen thuong)",
        "a) Chu tri cong tac thi dua, khen thuong.",
        "Noi nhan:",
        "- Nhu Dieu 3;",
    ]
    found = read_prose(lines, Directory(sample_units()))
    assert [t.stt for t in found.tasks] == ["7.a", "7.b", "7.c", "7.d", "7.đ", "7.e", "7.g", "8.a"]
    assert found.tasks[6].content == "Chu tri nhiem vu so 7."
    assert found.tasks[7].lead == "S6 Noi vu (Ban Thi dua - Khen thuong)"


def test_sub_unit_of_an_ocr_heading_goes_to_the_note(tmp_path, units_master):
    src = tmp_path / "ct.txt"
    src.write_text(
        "Chuong trinh CCHC giai doan 2026 - 2030\nVI. TO CHUC THUC HIEN\n2. S6 Noi vu (Ban Thi dua - Khen thuong)\n"
        "a) Chu tri cong tac thi dua, khen thuong ve cai cach hanh chinh.\n",
        encoding="utf-8",
    )
    report = import_plan(src, units_master)
    task = read_plan(units_master).tasks[0]
    assert task.lead == "Sở Nội vụ" and task.note == "Đầu mối: Ban Thi dua - Khen thuong (Sở Nội vụ)"
    assert task.deadline == "Năm 2030" and report.exit_code == 1  # the lead was guessed: warned


def test_the_section_ends_at_the_next_roman_heading_only():
    from ccpkh_excel.domain.sample import sample_units
    from ccpkh_excel.domain.units import Directory
    from ccpkh_excel.features.prose import read_prose

    lines = [
        "V. TỔ CHỨC THỰC HIỆN",
        "1. Sở Nội vụ: chủ trì theo dõi việc thực hiện.",
        "II. Sở Tư pháp: chủ trì cải cách thể chế.",  # "2." read as "II.": still in the section
        "VI. KINH PHÍ THỰC HIỆN",
        "1. Sở Tài chính: bố trí kinh phí.",
    ]
    found = read_prose(lines, Directory(sample_units()))
    assert [(t.stt, t.lead, t.content) for t in found.tasks] == [
        ("1", "Sở Nội vụ", "chủ trì theo dõi việc thực hiện."),
        ("2", "Sở Tư pháp", "chủ trì cải cách thể chế."),
    ]


def test_a_yearly_plan_with_dash_bullets_and_a_heading_the_page_wrapped():
    """As seed 000's section III prints: the plan's year (not the signing date's, not the
    national programme's period), "Thủ trưởng" before the units, dash bullets in one duty, a
    heading wrapped over two lines."""
    from ccpkh_excel.domain.sample import sample_units
    from ccpkh_excel.domain.units import Directory
    from ccpkh_excel.features.prose import read_prose

    lines = [
        "Thái Nguyên, ngày 27 tháng 12 năm 2025",
        "KẾ HOẠCH",
        "Cải cách hành chính tỉnh Thái Nguyên năm 2026",
        "Thực hiện Chương trình CCHC nhà nước giai đoạn 2026 - 2030 của Chính phủ.",
        "III. TỔ CHỨC THỰC HIỆN",
        "1. Thủ trưởng các sở, ban, ngành",
        "- Xây dựng kế hoạch CCHC năm 2026 của đơn vị;",
        "- Bố trí công chức có năng lực tham mưu thực hiện CCHC.",
        "2. Sở Nội vụ",
        "- Chủ trì, hướng dẫn, đôn đốc, kiểm tra các cơ quan, đơn vị, địa phương tổ chức",
        "triển khai thực hiện Kế hoạch;",
        "8. Các Sở: Xây dựng, Nông nghiệp và Môi trường, Ban Quản lý các",
        "Khu Công nghiệp: Tham mưu UBND tỉnh tăng cường các giải pháp cải cách TTHC.",
        "IV. CHẾ ĐỘ BÁO CÁO",
    ]
    found = read_prose(lines, Directory(sample_units()))
    assert [(t.stt, t.lead, t.deadline) for t in found.tasks] == [
        ("1", "các sở, ban, ngành", "Năm 2026"),
        ("2", "Sở Nội vụ", "Năm 2026"),
        ("8", "Các Sở: Xây dựng, Nông nghiệp và Môi trường, Ban Quản lý các Khu Công nghiệp", "Năm 2026"),
    ]
    assert found.tasks[1].content.endswith("tổ chức triển khai thực hiện Kế hoạch;")
    assert found.tasks[2].content == "Tham mưu UBND tỉnh tăng cường các giải pháp cải cách TTHC."
