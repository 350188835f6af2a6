"""Every bad source ends the same way: one Vietnamese line naming the file and the
reason, exit code 2, and nothing written."""

import zipfile

import pytest
from cfb import write_cfb
from click.testing import CliRunner
from docx import Document
from docx_builder import seed_000_docx
from openpyxl import Workbook

from ccpkh_excel.frontends.cli import cli


def _empty(p):
    p.write_bytes(b"")


def _no_table(p):
    doc = Document()
    doc.add_paragraph("KẾ HOẠCH")
    doc.add_paragraph("Văn bản này không có bảng danh mục nhiệm vụ.")
    t = doc.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "Họ và tên", "Chức vụ"
    doc.save(p)


def _corrupted(p):
    p.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 20)


def _truncated(p):
    full = p.parent / "full.docx"
    seed_000_docx(full)
    p.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    full.unlink()


def _damaged_xml(p):
    full = p.parent / "full.docx"
    seed_000_docx(full)
    with zipfile.ZipFile(full) as zin, zipfile.ZipFile(p, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    full.unlink()


def _legacy_doc(p):
    write_cfb(p, "WordDocument")


def _legacy_xls(p):
    write_cfb(p, "Workbook")


def _password(p):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = p.parent / "plain.docx"
    seed_000_docx(plain)
    with open(plain, "rb") as f, open(p, "wb") as out:
        OOXMLFile(f).encrypt("matkhau", out)
    plain.unlink()


def _wrong_columns(p):
    wb = Workbook()
    wb.active.append(["Họ và tên", "Ngày sinh", "Đơn vị"])
    wb.active.append(["Nguyễn Văn A", "01/01/1980", "Sở Nội vụ"])
    wb.save(p)


def _missing_lead(p):
    wb = Workbook()
    wb.active.append(["STT", "Nội dung công việc", "Thời gian hoàn thành"])
    wb.active.append(["1", "Một nhiệm vụ", "Quý I/2026"])
    wb.save(p)


def _text_file(p):
    p.write_text("STT;Nội dung công việc\n1;abc\n", encoding="utf-8")


CASES = [
    ("rong.docx", _empty, "tệp rỗng"),
    ("khong_co_bang.docx", _no_table, "không tìm thấy bảng danh mục nhiệm vụ"),
    ("hong.docx", _corrupted, "bị hỏng"),
    ("cat_do.docx", _truncated, "bị hỏng"),
    ("xml_hong.docx", _damaged_xml, "bị hỏng"),
    ("cu.doc", _legacy_doc, "tệp Word cũ (.doc)"),
    ("doi_ten.docx", _legacy_doc, "tệp Word cũ (.doc)"),  # a .doc renamed .docx
    ("cu.xls", _legacy_xls, "tệp Excel cũ (.xls)"),
    ("mat_khau.docx", _password, "đặt mật khẩu"),
    ("sai_cot.xlsx", _wrong_columns, "không tìm thấy bảng danh mục nhiệm vụ"),
    ("thieu_cot.xlsx", _missing_lead, "thiếu cột 'Cơ quan chủ trì'"),
    ("van_ban.docx", _text_file, "không phải tệp Word (.docx) hay Excel (.xlsx)"),
]


@pytest.mark.parametrize("name, make, reason", CASES, ids=[c[0] for c in CASES])
def test_bad_source_new_master(tmp_path, name, make, reason):
    src = tmp_path / name
    make(src)
    master = tmp_path / "so.xlsx"
    result = CliRunner().invoke(cli, ["import", str(src), str(master)])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.startswith(f"Lỗi: Tệp {name}: ")
    assert reason in line
    assert "Traceback" not in result.output
    assert not master.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("name, make, reason", CASES[:4], ids=[c[0] for c in CASES[:4]])
def test_bad_source_leaves_existing_master_untouched(tmp_path, sample_master_copy, name, make, reason):
    src = tmp_path / name
    make(src)
    before = sample_master_copy.read_bytes()
    result = CliRunner().invoke(cli, ["import", str(src), str(sample_master_copy)])
    assert result.exit_code == 2
    assert sample_master_copy.read_bytes() == before


def test_missing_source(tmp_path):
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "khong_co.docx"), str(tmp_path / "so.xlsx")])
    assert result.exit_code == 2
    assert "Lỗi: Tệp khong_co.docx: không tìm thấy tệp." in result.stderr


def test_verbose_shows_the_traceback(tmp_path):
    src = tmp_path / "rong.docx"
    src.write_bytes(b"")
    result = CliRunner().invoke(cli, ["--verbose", "import", str(src), str(tmp_path / "so.xlsx")])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and "SourceError" in result.stderr
