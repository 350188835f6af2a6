"""Word documents: rendering, ND30 format (lint), figures, safety, PDF."""

import re
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.shared import Mm, Pt

from ccpkh_excel import read_plan, read_status, write_document, write_plan
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.documents import rendering as documents
from ccpkh_excel.features.documents.lint import lint
from ccpkh_excel.features.documents.rendering import render
from ccpkh_excel.frontends.cli import cli
from ccpkh_excel.resources import templates_dir

AS_OF = date(2026, 4, 10)
KINDS = ("ke-hoach", "phu-luc", "bao-cao", "don-doc")


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory) -> Path:
    """The sample after the demo's cycle: returns merged for Quý I/2026."""
    out = tmp_path_factory.mktemp("demo")
    assert CliRunner().invoke(cli, ["demo", "--out", str(out)]).exit_code == 0
    return out / "ke_hoach_cchc_2026.xlsx"


def _write(master, kind, tmp_path, **kw):
    return write_document(master, kind, tmp_path / f"{kind}.docx", period="Quý I/2026", as_of=AS_OF, **kw)


def _text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


@pytest.mark.parametrize("kind", KINDS)
def test_every_document_passes_the_format_check(demo_master, tmp_path, kind):
    result = _write(demo_master, kind, tmp_path)
    assert result.warnings == []
    assert [str(d) for d in lint(result.path)] == []


def test_ke_hoach_content(demo_master, tmp_path):
    path = _write(demo_master, "ke-hoach", tmp_path).path
    doc = Document(str(path))
    text = _text(path)
    plan = read_plan(demo_master)
    assert "ỦY BAN NHÂN DÂN TỈNH THÁI NGUYÊN" in text and "Số: 188/KH-UBND" in text
    assert "Thái Nguyên, ngày 27 tháng 12 năm 2025" in text
    assert "KẾ HOẠCH" in text and "Cải cách hành chính tỉnh Thái Nguyên năm 2026" in text
    basis = [p.text for p in doc.paragraphs if p.text.startswith("Căn cứ")]
    assert len(basis) == 7 and all(b.endswith(";") for b in basis)  # the lời dẫn follows
    assert "1. Cải cách thể chế" in text and "III. TỔ CHỨC THỰC HIỆN" in text
    assert "6. Sở Khoa học và Công nghệ" in text  # a unit code shown by its name
    assert "KT. CHỦ TỊCH" in text and "PHÓ CHỦ TỊCH" in text and "Nguyễn Thị Loan" in text
    assert "- Lưu: VT, TTPVHCC." in text
    # the signing authority, as the plan is issued (KT. Chủ tịch: by the Chủ tịch)
    assert (
        "(Kèm theo Kế hoạch số 188/KH-UBND ngày 27 tháng 12 năm 2025 của Chủ tịch Ủy ban nhân dân tỉnh Thái Nguyên)"
        in text
    )
    # lettered points stay points (a), b)), the content's bullets stay dashes
    paras = [p.text for p in doc.paragraphs]
    assert any(x.startswith("a) Cụ thể hóa mục tiêu") and x.endswith(";") for x in paras)
    assert any(x.startswith("b) Phân công các cơ quan") and x.endswith(".") for x in paras)
    assert not any(x.startswith("- a)") for x in paras)
    table = doc.tables[-1]
    assert [c.text for c in table.rows[0].cells] == [
        "STT",
        "Nội dung công việc",
        "Cơ quan chủ trì",
        "Cơ quan phối hợp",
        "Thời gian hoàn thành",
    ]
    assert len(table.rows) == 1 + len(plan.tasks)
    assert table.rows[5].cells[4].text == "Trước 01/6/2026"
    assert doc.sections[1].orientation == 1 and doc.sections[0].orientation == 0


def test_grouped_plan_gets_roman_groups_and_a_product_column(tmp_path, units_master):
    from docx_builder import seed_004_docx

    from ccpkh_excel.features.importing import import_plan

    import_plan(seed_004_docx(tmp_path / "nq66.docx"), units_master)
    path = write_document(units_master, "phu-luc", tmp_path / "pl.docx").path
    assert lint(path) == []
    table = Document(str(path)).tables[-1]
    assert [c.text for c in table.rows[0].cells][-1] == "Sản phẩm"
    firsts = [r.cells[0].text for r in table.rows[1:]]
    assert firsts[:3] == ["I", "1", "II"]
    assert table.rows[1].cells[1].text == "Cắt giảm, đơn giản hóa TTHC liên quan đến hoạt động sản xuất, kinh doanh"
    assert "IV" in firsts and len(table.rows) == 1 + 10 + 3  # IV is a task row of its own group


def _classes(text: str, subject: str = "Tổng số"):
    m = re.search(
        re.escape(subject) + r" (\d+) nhiệm vụ: hoàn thành đúng hạn (\d+), hoàn thành quá hạn (\d+), "
        r"đang thực hiện trong hạn (\d+), quá hạn chưa hoàn thành (\d+); tỷ lệ hoàn thành ([\d,]+)%, đúng hạn ([\d,]+)%",
        text,
    )
    assert m, text[:300]
    return [int(x) for x in m.groups()[:5]], float(m.group(6).replace(",", ".")), float(m.group(7).replace(",", "."))


def test_report_follows_the_outline_and_its_figures_equal_the_library(demo_master, tmp_path):
    path = _write(demo_master, "bao-cao", tmp_path).path
    text = _text(path)
    st = read_status(demo_master, "Quý I/2026", AS_OF)
    t = st.total
    # the parts of the Ministry's outline, in order
    heads = [
        "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH",
        "1. Công tác kế hoạch",
        "2. Công tác kiểm tra",
        "3. Công tác tuyên truyền",
        "4. Sáng kiến",
        "II. KẾT QUẢ THỰC HIỆN",
        "III. ĐÁNH GIÁ CHUNG",
        "1. Ưu điểm",
        "2. Tồn tại, hạn chế",
        "3. Nguyên nhân",
        "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ QUÝ II/2026",
        "V. ĐỀ XUẤT, KIẾN NGHỊ",
    ]
    where = [text.find(h) for h in heads]
    assert all(w >= 0 for w in where) and where == sorted(where), list(zip(heads, where, strict=True))
    # four classes adding up, equal to the library's
    counts, pct, pct_on_time = _classes(text)
    assert counts == [t.tasks, *t.classes] and sum(t.classes) == t.tasks
    assert pct == t.pct and pct_on_time == t.pct_on_time
    body = text[text.find("II. KẾT QUẢ") : text.find("III. ĐÁNH GIÁ")]
    for i, c in enumerate(st.fields, start=1):
        part = body[body.find(f"{i}. {c.label}") :]
        assert _classes(part)[0] == [c.tasks, *c.classes]
    # results summarised: one line per unit, not pasted raw
    assert "- Sở Nội vụ hoàn thành 2 nhiệm vụ (NV001: Đã ban hành Kế hoạch số 45/KH-SNV" in text
    assert "NV003 – Xây dựng kế hoạch nâng cao chất lượng kiểm soát TTHC" in text  # a late task, its unit
    assert "Văn phòng Ủy ban nhân dân tỉnh; hoàn thành quá hạn" in text
    # the tasks due next quarter, from Hạn hoàn thành, without those already done
    st_done = {x.code for x in st.tasks if x.status in ("Hoàn thành đúng hạn", "Hoàn thành quá hạn")}
    assert "- NV006 – Xây dựng Kế hoạch nâng cao Chỉ số CCHC" in text
    assert not any(f"- {c} –" in text[text.find("IV. PHƯƠNG") :] for c in st_done)
    assert f"Còn {len(st.missing)} đơn vị chưa gửi báo cáo: Sở Tư pháp" in text
    # the judged parts: a marked sentence to edit, never a bare heading
    assert text.count("[CẦN BỔ SUNG]") == 8
    assert "mục «Nguyên nhân»" in text
    assert "Sở Khoa học và Công nghệ: Đề nghị Sở Tài chính bố trí kinh phí năm 2026" in text
    doc = Document(str(path))
    assert any(r._r.xpath(".//pic:pic") for p in doc.paragraphs for r in p.runs)  # the chart picture
    assert "Biểu đồ 1. Tình hình thực hiện nhiệm vụ theo lĩnh vực, Quý I/2026" in text
    # Phụ lục II: by field, by unit, the ranking — the same figures
    tables = doc.tables
    by_field, ranking = tables[-2], tables[-1]
    assert [c.text for c in by_field.rows[0].cells][3:7] == [
        "Hoàn thành đúng hạn",
        "Hoàn thành quá hạn",
        "Đang thực hiện trong hạn",
        "Quá hạn (chưa hoàn thành)",
    ]
    assert [int(c.text) for c in by_field.rows[-1].cells[2:7]] == [t.tasks, *t.classes]
    # by unit, in the order of the ranking: rank, unit, assigned, the four classes, % done, % on time
    ranks = st.ranking()
    assert len(ranking.rows) == 1 + len(st.units) == 1 + len(ranks)
    for row, r in zip(ranking.rows[1:], ranks, strict=True):
        assert [int(row.cells[0].text), row.cells[1].text] == [r.rank, r.name]
        assert [int(x.text) for x in row.cells[2:7]] == [r.counts.tasks, *r.counts.classes]
        assert row.cells[8].text == f"{r.counts.pct_on_time:.1f}".replace(".", ",")


def test_report_takes_the_clerks_assessment(demo_master, tmp_path):
    import shutil

    from ccpkh_excel.features.documents.assessment import ASSESSMENT
    from ccpkh_excel.store.master import Master

    master = shutil.copy(demo_master, tmp_path / "so.xlsx")
    with Master.open(master) as m:
        m.save(
            sheets={
                ASSESSMENT: [
                    ["Quý I/2026", "Ưu điểm", "Các sở chủ động triển khai sớm."],
                    ["", "nguyen nhan", "Nhân lực làm CCHC còn mỏng."],  # any period; the section found folded
                    ["Quý II/2026", "Kiểm tra", "Không thuộc kỳ này."],
                ]
            }
        )
    text = _text(write_document(master, "bao-cao", tmp_path / "bc.docx", period="Quý I/2026", as_of=AS_OF).path)
    assert "Các sở chủ động triển khai sớm." in text and "Nhân lực làm CCHC còn mỏng." in text
    assert "Không thuộc kỳ này." not in text
    assert text.count("[CẦN BỔ SUNG]") == 6


def test_an_older_master_without_the_sheet_gets_placeholders_and_a_hint(tmp_path, demo_master):
    import shutil

    from openpyxl import load_workbook

    master = shutil.copy(demo_master, tmp_path / "cu.xlsx")
    wb = load_workbook(master)
    del wb["Đánh giá"]
    wb.save(master)
    result = write_document(master, "bao-cao", tmp_path / "bc.docx", period="Quý I/2026", as_of=AS_OF)
    assert any("chưa có sheet «Đánh giá»" in w for w in result.warnings)
    assert _text(result.path).count("[CẦN BỔ SUNG]") == 8


def test_reminder_letter(demo_master, tmp_path):
    text = _text(_write(demo_master, "don-doc", tmp_path).path)
    assert "Số: /UBND-TTPVHCC" in re.sub(r" +", " ", text)  # the issuing body, the drafting unit of "Lưu"
    assert "V/v đôn đốc báo cáo và thực hiện nhiệm vụ cải cách hành chính Quý I/2026" in text
    assert "Kính gửi:" in text and "- Sở Tư pháp;" in text
    assert "trước ngày 17/04/2026" in text
    # each unit addressed, with its tasks (code, content, due date)
    assert "Sở Tư pháp" in text and re.search(r"- NV0\d\d – .+ \(hạn \d\d/\d\d/2026; chưa báo cáo\)", text)
    # Nơi nhận of a công văn: Như trên, the leaders, Lưu — not the plan's list
    assert "- Như trên;" in text and "- Lưu: VT, TTPVHCC." in text
    assert "Báo và Phát thanh" not in text and "- Bộ Nội vụ;" not in text


def test_one_reminder_per_unit(demo_master, tmp_path):
    from ccpkh_excel.features.documents.writing import write_reminders

    out = write_reminders(demo_master, tmp_path / "don_doc", period="Quý I/2026", as_of=AS_OF)
    st = read_status(demo_master, "Quý I/2026", AS_OF)
    assert len(out) == len({c for c, _ in st.missing}) or len(out) >= len(st.missing)
    one = next(r for r in out if r.path.name.startswith("SNV") or "STP" in r.path.name)
    text = _text(one.path)
    assert text.count("Kính gửi:") == 1 and "Kính gửi: " in text
    assert all(lint(r.path) == [] for r in out[:3])


def test_data_never_breaks_a_document(tmp_path, sample_master_copy):
    plan = read_plan(sample_master_copy)
    plan.tasks[0].content = "Rà soát <văn bản> & \"quy định\" 'cũ'"
    plan.tasks[1].content = "Rất dài " * 600
    plan.basis[0] = "Căn cứ {{ không phải thẻ }} {% if %}"
    write_plan(plan, sample_master_copy)
    path = write_document(sample_master_copy, "ke-hoach", tmp_path / "kh.docx").path
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    assert "Rà soát &lt;văn bản&gt; &amp; \"quy định\" 'cũ'" in xml
    assert Document(str(path)).tables[-1].rows[1].cells[1].text == "Rà soát <văn bản> & \"quy định\" 'cũ'"
    text = _text(path)
    assert "Căn cứ {{ không phải thẻ }} {% if %}" in text
    assert ("Rất dài " * 600).strip() in text
    assert lint(path) == []


def test_line_breaks_render_as_typed(tmp_path):
    out = tmp_path / "o.docx"
    render(_template(tmp_path, "Kết quả: {{ kq }}"), {"kq": "Dòng 1 & <2>\nDòng 2"}, out)
    xml = zipfile.ZipFile(out).read("word/document.xml").decode()
    assert "Dòng 1 &amp; &lt;2&gt;</w:t><w:br/>" in xml
    assert Document(str(out)).paragraphs[0].text == "Kết quả: Dòng 1 & <2>\nDòng 2"


def _template(tmp_path, text: str) -> Path:
    doc = Document()
    doc.add_paragraph(text)
    path = tmp_path / "mau.docx"
    doc.save(path)
    return path


def test_missing_tag_is_reported_by_name(tmp_path):
    with pytest.raises(CcpkhError, match="mẫu dùng thẻ không có dữ liệu: so_van_ban, ten_don_vi"):
        render(
            _template(tmp_path, "{{ ten_don_vi }} {{ so_van_ban }} {{ co_quan }}"),
            {"co_quan": "x"},
            tmp_path / "o.docx",
        )


def test_broken_template_and_tag_are_reported(tmp_path):
    bad = tmp_path / "hong.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CcpkhError, match="Tệp hong.docx: mẫu không phải tệp Word"):
        render(bad, {}, tmp_path / "o.docx")
    with pytest.raises(CcpkhError, match=r"thẻ trong mẫu bị lỗi: .*gần"):
        render(_template(tmp_path, "Kính gửi {{ ten_don_vi "), {"ten_don_vi": "x"}, tmp_path / "o.docx")


def test_templates_render_sandboxed(tmp_path):
    with pytest.raises(CcpkhError):
        render(_template(tmp_path, "{{ x.__class__.__mro__[1].__subclasses__() }}"), {"x": "a"}, tmp_path / "o.docx")


def test_shipped_templates_are_what_the_builder_makes(tmp_path):
    from ccpkh_excel.features.documents.templates import TEMPLATES, build

    build(tmp_path)
    for name in TEMPLATES:
        new = zipfile.ZipFile(tmp_path / name).read("word/document.xml")
        shipped = zipfile.ZipFile(templates_dir() / name).read("word/document.xml")
        assert new == shipped, f"{name}: chạy python -m ccpkh_excel.features.documents.templates"


def test_tag_guide_lists_every_tag():
    from docxtpl import DocxTemplate

    guide = (templates_dir() / "HUONG_DAN_MAU.md").read_text(encoding="utf-8")
    for path in templates_dir().glob("*.docx"):
        for var in DocxTemplate(str(path)).get_undeclared_template_variables():
            assert f"`{var}`" in guide, (path.name, var)


# --- the format check finds what is wrong -------------------------------------------------------
def test_lint_finds_deviations(demo_master, tmp_path):
    path = _write(demo_master, "ke-hoach", tmp_path).path
    doc = Document(str(path))
    sec = doc.sections[0]
    sec.left_margin = Mm(25)
    sec.different_first_page_header_footer = False
    for p in doc.paragraphs:
        if p.text.startswith("Thái Nguyên"):
            pass
        if p.text.startswith("Căn cứ Nghị quyết số 57"):
            for r in p.runs:
                r.font.name = "Arial"
    header = doc.tables[0]
    date_cell = header.cell(1, 1).paragraphs[0]
    date_cell.runs[0].text = "Thái Nguyên, ngày 5 tháng 2 năm 2026"
    signature = doc.tables[1]
    for p in signature.cell(0, 0).paragraphs:
        if p.text.startswith("Nơi nhận"):
            p.runs[0].font.size = Pt(14)
    legacy = doc.add_paragraph().add_run("x")
    legacy.font.name = ".VnTime"
    bad = tmp_path / "sai.docx"
    doc.save(bad)
    found = "\n".join(str(d) for d in lint(bad))
    assert "lề trái 25.0 mm, quy định 30–35 mm" in found
    assert "trang đầu không được đánh số" in found
    assert "dùng Arial; quy định Times New Roman" in found
    assert "phông mã cũ .VnTime" in found
    assert "ngày dưới 10 và tháng 1, 2 thêm 0" in found
    assert "Nơi nhận: cỡ chữ 14.0 pt, quy định 12 pt" in found
    result = CliRunner().invoke(cli, ["lint-docx", str(bad)])
    assert result.exit_code == 1 and "điểm chưa đúng thể thức" in result.output
    good = CliRunner().invoke(cli, ["lint-docx", str(path)])
    assert good.exit_code == 0 and "đúng thể thức Nghị định 30/2020/NĐ-CP" in good.output
    notdocx = tmp_path / "x.docx"
    notdocx.write_text("x")
    assert CliRunner().invoke(cli, ["lint-docx", str(notdocx)]).exit_code == 2


def test_report_command(demo_master, tmp_path):
    out = tmp_path / "bc.docx"
    result = CliRunner().invoke(
        cli,
        [
            "report",
            str(demo_master),
            "--kind",
            "bao-cao",
            "--period",
            "Quý I/2026",
            "--as-of",
            "10/04/2026",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and f"Đã viết {out}." in result.output
    unit = CliRunner().invoke(
        cli, ["report", str(demo_master), "--kind", "bao-cao", "--unit", "SNV", "--out", str(tmp_path / "snv.docx")]
    )
    assert unit.exit_code == 0, unit.output
    assert "Tổng số 9 nhiệm vụ:" in _text(tmp_path / "snv.docx")  # Sở Nội vụ leads nine tasks


def test_pdf_without_libreoffice_says_so(demo_master, tmp_path, monkeypatch):
    monkeypatch.setattr(documents.shutil, "which", lambda name: None)
    with pytest.raises(CcpkhError, match="Chưa cài LibreOffice nên không xuất được PDF"):
        _write(demo_master, "ke-hoach", tmp_path, pdf=True)


# --- PDF through LibreOffice ----------------------------------------------------------------------
def _pdf_pages(pdf: Path) -> list[tuple[float, float, str]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = [tuple(map(float, m)) for m in re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+)", info)]
    out = []
    for i, (w, h) in enumerate(sizes, start=1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        out.append((w, h, text))
    return out


@pytest.mark.libreoffice
def test_plan_pdf(demo_master, tmp_path):
    result = _write(demo_master, "ke-hoach", tmp_path, pdf=True)
    pages = _pdf_pages(result.pdf)
    portrait = [p for p in pages if p[0] < p[1]]
    appendix = [p for p in pages if p[0] > p[1]]
    assert portrait and appendix and pages.index(appendix[0]) == len(portrait)  # the phụ lục comes last, landscape
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pages[0][2]
    assert "DANH MỤC NHIỆM VỤ TRỌNG TÂM" in appendix[0][2]
    for _, _, text in appendix:
        assert "Nội dung công việc" in text and "Cơ quan chủ trì" in text  # header repeated on every page
    raw = subprocess.run(
        ["pdftotext", "-f", str(len(portrait) + 1), "-l", str(len(pages)), str(result.pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = re.sub(r"\s+", " ", raw)
    tasks = read_plan(demo_master).tasks
    for task in tasks:
        words = task.content.split()
        n = 4
        while sum(" ".join(t.content.split()[:n]) == " ".join(words[:n]) for t in tasks) > 1:
            n += 1
        prefix = " ".join(words[:n])
        assert flat.count(prefix) == 1, prefix  # every task once
    assert "2" in pages[1][2].split("\n")[0]  # page numbers from page 2, in the header


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["bao-cao", "don-doc", "phu-luc"])
def test_other_documents_convert(demo_master, tmp_path, kind):
    result = _write(demo_master, kind, tmp_path, pdf=True)
    pages = _pdf_pages(result.pdf)
    assert pages
    flat = " ".join(t for _, _, t in pages)
    if kind == "bao-cao":
        st = read_status(demo_master, "Quý I/2026", AS_OF)
        assert f"Tổng số {st.total.tasks} nhiệm vụ:" in re.sub(r"\s+", " ", flat)
        assert pages[-1][0] > pages[-1][1]  # the phụ lục, landscape
    if kind == "phu-luc":
        assert all(w > h for w, h, _ in pages)


def test_custom_template_and_empty_information(tmp_path, sample_master_copy):
    custom = tmp_path / "mau_rieng.docx"
    doc = Document(str(templates_dir() / "ke_hoach.docx"))
    doc.paragraphs[0].insert_paragraph_before("Bản dự thảo — mẫu riêng của văn phòng")
    doc.save(custom)
    plan = read_plan(sample_master_copy)
    plan.info["Người ký"] = ""
    write_plan(plan, sample_master_copy)
    out = tmp_path / "kh.docx"
    result = CliRunner().invoke(
        cli, ["report", str(sample_master_copy), "--kind", "ke-hoach", "--out", str(out), "--template", str(custom)]
    )
    assert result.exit_code == 0, result.output
    assert "Bản dự thảo — mẫu riêng của văn phòng" in _text(out)
    assert "Lưu ý: Thông tin chung chưa có 'Người ký': chỗ đó trong văn bản để trống." in result.output


def test_check_gives_an_older_master_its_assessment_sheet(tmp_path, demo_master):
    """`check` adds Đánh giá (one row per section) to a master made before it existed; the
    next BÁO CÁO then reads it and no longer asks for it."""
    import shutil

    from openpyxl import load_workbook

    from ccpkh_excel.features.checking import check_master
    from ccpkh_excel.features.documents.assessment import ASSESSMENT, starter_rows
    from ccpkh_excel.store.master import Master

    master = shutil.copy(demo_master, tmp_path / "cu.xlsx")
    wb = load_workbook(master)
    del wb["Đánh giá"]
    wb.save(master)
    before = Master.read(master).records
    result = check_master(master)
    assert any("Bổ sung sheet Đánh giá" in c for c in result.changes)
    m = Master.read(master)
    assert [list(r) for r in m.sheet(ASSESSMENT)] == starter_rows()
    assert m.records.summary == before.summary  # nothing else lost on the way
    doc = write_document(master, "bao-cao", tmp_path / "bc.docx", period="Quý I/2026", as_of=AS_OF)
    assert not any("chưa có sheet «Đánh giá»" in w for w in doc.warnings)
    assert not any("Bổ sung sheet Đánh giá" in c for c in check_master(master).changes)  # once only
