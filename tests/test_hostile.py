"""The hostile corpus end to end (benchmarks/hostile.py): forged, relabelled, old, bombed,
oversize and foreign returns beside good ones, merged by the real command in its own process:
nothing lost, nothing counted that should not be, peak memory under 500 MB."""

import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


def test_the_hostile_corpus(tmp_path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "hostile.py"), "--keep", str(tmp_path / "corpus")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "kết quả bị mất: 0" in run.stdout and "dòng không được tính mà bị tính: 0" in run.stdout
    assert "bom_zip_1GiB.xlsx | bom zip: một ô 1 GiB | Bị từ chối" in run.stdout
    assert "o_qua_dai.xlsx | ô 40.000 ký tự | Bị từ chối | sheet 'Báo cáo', ô H8" in run.stdout
    assert (
        "o_long_trong_o.xlsx | ô lồng trong ô: 60.000 ký tự thành hai mẩu | Bị từ chối | sheet 'Báo cáo', ô H8: 60.000 ký tự"
        in run.stdout
    )
    assert (
        "the_khong_tien_to_XFD1048576.xlsx | thẻ ô '<:c' ở XFD1048576 | Bị từ chối | sheet 'Báo cáo' có ô XFD1048576"
        in run.stdout
    )
    assert "bang_chuoi_4_ty.xlsx | bảng chuỗi khai 4 tỷ chuỗi | Bị từ chối | bảng chuỗi dùng chung" in run.stdout
    assert "bang_chuoi_ten_chu_hoa.xlsx | bảng chuỗi 4 tỷ chuỗi, tên phần viết hoa | Bị từ chối | bảng chuỗi" in (
        run.stdout
    )


def test_a_zip_bomb_plan_is_refused_at_import_and_nothing_is_written(tmp_path, sample_master_copy):
    from docx_builder import seed_004_docx

    from ccpkh_excel.frontends.cli import cli

    doc = seed_004_docx(tmp_path / "nq66.docx")
    with zipfile.ZipFile(doc) as z:
        parts = {i.filename: z.read(i) for i in z.infolist() if i.filename != "word/document.xml"}
    with zipfile.ZipFile(doc, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b" " * (16 * 1024 * 1024)
            for _ in range(16):  # 256 MB of nothing, a few hundred KB on disk
                fh.write(chunk)
    before = sample_master_copy.read_bytes()
    res = CliRunner().invoke(cli, ["import", str(doc), str(sample_master_copy)])
    assert res.exit_code == 2 and "nq66.docx" in res.stderr and "bom zip" in res.stderr, res.stderr
    assert sample_master_copy.read_bytes() == before
