"""The command line: exact messages and exit codes (CliRunner)."""

import pytest
from click.testing import CliRunner
from docx_builder import seed_000_docx

from ccpkh_excel import __version__, read_plan, write_plan
from ccpkh_excel.frontends.cli import cli


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_vietnamese_help(command):
    assert cli.commands[command].help
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_version():
    assert __version__ in run("--version").output


def test_init(tmp_path):
    master = tmp_path / "so.xlsx"
    result = run("init", master, "--sample")
    assert result.exit_code == 0
    assert result.output.strip() == f"Đã tạo sổ theo dõi {master} (mẫu với 23 nhiệm vụ và 18 đơn vị)."
    again = run("init", master)
    assert again.exit_code == 2
    assert again.stderr.strip() == "Lỗi: Tệp so.xlsx: đã có. Dùng --force nếu muốn tạo lại (dữ liệu cũ sẽ mất)."
    assert run("init", master, "--force").exit_code == 0
    assert read_plan(master).tasks == []


def test_init_needs_xlsx(tmp_path):
    result = run("init", tmp_path / "so.csv")
    assert result.exit_code == 2 and "phải là tệp .xlsx (hoặc .xlsm có nút bấm)" in result.stderr


def test_import_clean_exits_0(tmp_path, units_master):
    src = seed_000_docx(tmp_path / "kh.docx")
    result = run("import", src, units_master)
    assert result.exit_code == 0, result.output
    assert "Đã nhập 23 nhiệm vụ từ kh.docx (bảng 1) vào master.xlsx." in result.output
    assert "Mới: 23 · Cập nhật: 0 · Không đổi: 0" in result.output
    assert "Bỏ qua bảng 1, dòng 9: dòng tiêu đề lặp lại." in result.output
    assert "Không có gì cần sửa." in result.output


def test_import_tcvn3_says_it_converted(tmp_path, units_master):
    result = run("import", seed_000_docx(tmp_path / "kh.docx", "tcvn3"), units_master)
    assert result.exit_code == 0
    assert "Đã chuyển chữ mã cũ TCVN3 sang Unicode." in result.output


def test_import_into_new_master_reports_names_to_fix(tmp_path):
    master = tmp_path / "moi.xlsx"
    result = run("import", seed_000_docx(tmp_path / "kh.docx"), master)
    assert result.exit_code == 1
    assert "(tạo mới)" in result.output
    assert "Tên đơn vị không nhận ra" in result.output
    assert "khai báo các đơn vị ở sheet 'Đơn vị'" in result.output
    plan = read_plan(master)
    assert len(plan.tasks) == 23
    # the plan's first page filled Thông tin chung
    assert plan.info["Số ký hiệu"] == "188/KH-UBND" and plan.info["Năm"] == 2026
    assert plan.info["Trích yếu"] == "Cải cách hành chính tỉnh Thái Nguyên năm 2026"
    assert plan.tasks[0].lead == "Sở Nội vụ"  # kept as written, never dropped


def test_import_reports_unknown_deadline(tmp_path, units_master):
    from docx_builder import add_table, new_document
    from seeds import HEADER_000

    doc = new_document("nfc")
    add_table(doc, HEADER_000, [("1", "Một việc", "Sở Nội vụ", "", "Khi có chỉ đạo")], "nfc")
    doc.save(tmp_path / "kh.docx")
    result = run("import", tmp_path / "kh.docx", units_master)
    assert result.exit_code == 1
    assert "không hiểu thời gian hoàn thành 'Khi có chỉ đạo'" in result.output


def test_check_clean_and_not_clean(tmp_path, sample_master_copy):
    ok = run("check", sample_master_copy)
    assert ok.exit_code == 0
    assert "Sổ mau.xlsx: 23 nhiệm vụ, 18 đơn vị." in ok.output
    plan = read_plan(sample_master_copy)
    plan.tasks[0].coop = "Sở Tư phá"
    write_plan(plan, sample_master_copy)
    bad = run("check", sample_master_copy)
    assert bad.exit_code == 1
    assert "Có 1 điểm cần sửa" in bad.output
    assert "Có phải 'Sở Tư pháp'?" in bad.output


def test_check_missing_master(tmp_path):
    result = run("check", tmp_path / "khong.xlsx")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Lỗi: Tệp khong.xlsx: không tìm thấy tệp. Hãy tạo bằng lệnh 'ccpkh-excel init'."


def test_check_while_open_in_excel_still_reports(tmp_path, sample_master_copy):
    from openpyxl import load_workbook

    wb = load_workbook(sample_master_copy)
    wb["Danh mục nhiệm vụ"].append([None, "24", "", "Việc mới", "Sở Nội vụ", "", "Năm 2026"])
    wb.save(sample_master_copy)
    (tmp_path / "~$mau.xlsx").write_text("")
    result = run("check", sample_master_copy)
    assert result.exit_code == 0
    assert "Chưa lưu được thay đổi" in result.output and "Cần cấp mã cho 1 nhiệm vụ mới: NV024." in result.output


def test_import_refused_while_master_open(tmp_path, sample_master_copy):
    (tmp_path / "~$mau.xlsx").write_text("")
    result = run("import", seed_000_docx(tmp_path / "kh.docx"), sample_master_copy)
    assert result.exit_code == 2
    assert "Lỗi: Tệp mau.xlsx: đang được mở trong Excel hoặc LibreOffice." in result.stderr


def test_demo_runs_the_whole_cycle(tmp_path):
    out = tmp_path / "demo"
    result = run("demo", "--out", out)
    assert result.exit_code == 0, result.output
    master = out / "ke_hoach_cchc_2026.xlsx"
    assert master.exists()
    assert "Kế hoạch 188/KH-UBND: Cải cách hành chính tỉnh Thái Nguyên năm 2026" in result.output
    assert "Kiểm tra: không có gì cần sửa." in result.output
    assert "3. Tạo phiếu kỳ Quý I/2026: 16 phiếu" in result.output
    assert len(list((out / "phieu_gui").glob("*.xlsx"))) == 16
    assert "STC_So_Tai_chinh_Quy_I_2026.xlsx: Đã tổng hợp, có cảnh báo — nộp muộn" in result.output
    assert (
        "SXD_So_Xay_dung_Quy_I_2026.xlsx: Đã tổng hợp, có cảnh báo — dòng 8: NV001 bị sửa nội dung đã khóa"
        in result.output
    )
    assert "bang_tinh_khac.xlsx: Bị từ chối" in result.output
    assert "6. Tình hình kỳ Quý I/2026 (tính đến 10/04/2026): 23 nhiệm vụ" in result.output
    from ccpkh_excel import read_records

    records = read_records(master)
    assert {r[1] for r in records.summary} >= {"SNV", "STC", "SXD"}
    for name in ("ke_hoach_cchc_2026.docx", "bao_cao_quy_I_2026.docx", "cong_van_don_doc_quy_I_2026.docx"):
        assert (out / "van_ban" / name).exists()
        assert f"{name} — đúng thể thức" in result.output
    # runs again over its own output
    assert run("demo", "--out", out).exit_code == 0
