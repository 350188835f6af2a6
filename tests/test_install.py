"""A non-editable install in a fresh venv runs `ccpkh-excel demo` from an empty folder and
finds the shipped workbooks inside the installed package."""

import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_fresh_venv_runs_demo_from_an_empty_folder(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    py = bindir / "python"
    # dependencies come from this environment (already installed for the tests); the
    # package itself is built and installed from the source tree, not linked to it
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    Path(purelib, "_deps_from_test_env.pth").write_text("\n".join(sorted(deps)) + "\n")
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--no-deps", str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [
            str(py),
            "-c",
            "import ccpkh_excel, ccpkh_excel.resources as r; print(ccpkh_excel.__file__); print(r.sample_master())",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=empty,
    ).stdout.split("\n")
    assert where[0].startswith(str(venv)), where
    assert where[1].startswith(str(venv)) and Path(where[1]).is_file(), where
    result = subprocess.run([str(bindir / "ccpkh-excel"), "demo"], capture_output=True, text=True, cwd=empty)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Kiểm tra: không có gì cần sửa." in result.stdout
    assert (empty / "ccpkh-demo" / "ke_hoach_cchc_2026.xlsx").is_file()
