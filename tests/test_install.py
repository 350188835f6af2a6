"""A non-editable install in a fresh venv runs `ccpkh-excel demo` from an empty folder and
finds the shipped workbooks inside the installed package; what the tool announces it reads
(an encrypted .xlsx, an old .doc) needs nothing beyond install_requires."""

import json
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


# --- everything the tool announces it reads, with install_requires alone ------------------------
# A child process where only the standard library, ccpkh_excel and what `pip install .` brings
# (install_requires and, recursively, their own requirements) can be imported: a meta-path
# finder refuses every other top-level module, as if it were not installed. It imports an
# encrypted .xlsx and an old .doc through the command and reports what the clerk was told.
ONLY_INSTALL_REQUIRES = r"""
import json, sys

allowed = set(json.loads(sys.argv[1]))
blocked = []


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in allowed or top in sys.stdlib_module_names or top.startswith("__editable__"):
            return None
        blocked.append(top)
        raise ModuleNotFoundError(f"No module named {top!r} (not installed by install_requires)", name=top)


sys.meta_path.insert(0, NotInstalled())
try:
    import msoffcrypto  # noqa: F401 - in the test extra only: must be refused here
    refused = False
except ModuleNotFoundError:
    refused = True
from click.testing import CliRunner

from ccpkh_excel.frontends.cli import cli

runs = {}
for source in sys.argv[3:]:
    result = CliRunner().invoke(cli, ["import", source, sys.argv[2]])
    runs[source] = {"code": result.exit_code, "stderr": result.stderr, "output": result.output,
                    "exception": repr(result.exception) if not isinstance(result.exception, SystemExit) else None}
print(json.dumps({"refused_test_extra": refused, "blocked": sorted(set(blocked)), "runs": runs,
                  "olefile": "olefile" in sys.modules}))
"""


def _install_requires_modules() -> set[str]:
    """Top-level modules of install_requires and of everything they require in turn (their
    environment markers and extras honoured), as installed here."""
    import configparser
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    todo = [
        (Requirement(line.strip()), {""}) for line in cfg["options"]["install_requires"].splitlines() if line.strip()
    ]
    dists: set[str] = set()
    while todo:
        req, extras = todo.pop()
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras):
            continue
        name = canonicalize_name(req.name)
        if name in dists:
            continue
        dists.add(name)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [(Requirement(r), {"", *req.extras}) for r in requires]
    provided = metadata.packages_distributions()
    return {"ccpkh_excel"} | {m for m, ds in provided.items() if any(canonicalize_name(d) in dists for d in ds)}


def test_encrypted_xlsx_and_old_doc_are_read_with_install_requires_alone(tmp_path):
    from cfb import write_cfb
    from msoffcrypto.format.ooxml import OOXMLFile
    from openpyxl import Workbook

    plain = tmp_path / "plain.xlsx"
    wb = Workbook()
    wb.active.append(["STT", "Nội dung công việc", "Cơ quan chủ trì"])
    wb.save(plain)
    locked = tmp_path / "mat_khau.xlsx"
    with open(plain, "rb") as f, open(locked, "wb") as out:
        OOXMLFile(f).encrypt("matkhau", out)
    old = tmp_path / "cu.doc"
    write_cfb(old, "WordDocument")
    allowed = _install_requires_modules()
    assert "olefile" in allowed and "msoffcrypto" not in allowed and "xlwings" not in allowed
    master = tmp_path / "so.xlsx"
    res = subprocess.run(
        [sys.executable, "-c", ONLY_INSTALL_REQUIRES, json.dumps(sorted(allowed)), str(master), str(locked), str(old)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got["refused_test_extra"], "the finder must refuse what install_requires does not bring"
    runs = got["runs"]
    for source, reason in (
        (locked, "Lỗi: Tệp mat_khau.xlsx: tệp được đặt mật khẩu. Hãy mở bằng Word/Excel, gỡ mật khẩu"),
        (old, "Lỗi: Tệp cu.doc: tệp Word cũ (.doc) chưa hỗ trợ. Hãy mở bằng Word và lưu lại dưới dạng .docx."),
    ):
        run = runs[str(source)]
        said = " ".join((run["stderr"] + run["output"]).split())
        assert run["code"] == 2 and run["exception"] is None, (source.name, run, got["blocked"])
        assert said.startswith(reason), (said, got["blocked"])
        assert "ModuleNotFoundError" not in said and "ngoài dự kiến" not in said
    assert got["olefile"]  # the OLE container was read, with olefile from install_requires
    assert not master.exists()
