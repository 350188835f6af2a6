"""Hostile templates and a hung LibreOffice: limits, timeouts, nothing left running."""

import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from ccpkh_excel import init_master, write_document
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.documents import rendering
from ccpkh_excel.features.documents.rendering import render, to_pdf
from ccpkh_excel.frontends.cli import cli

posix = pytest.mark.skipif(os.name != "posix", reason="a fake soffice as a shell script")


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("so") / "so.xlsx"
    init_master(path, sample=True)
    return path


def _template(tmp_path: Path, body: str, name: str = "mau.docx") -> Path:
    doc = Document()
    doc.add_paragraph(body)
    path = tmp_path / name
    doc.save(path)
    return path


def _flat(text: str) -> str:
    return " ".join(text.split())


# --- a hung LibreOffice ---------------------------------------------------------------------------
@pytest.fixture
def hung_soffice(tmp_path, monkeypatch) -> Path:
    """A `soffice` first on PATH that starts a child, writes both pids, and hangs forever."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pids = tmp_path / "pids.txt"
    fake = bin_dir / "soffice"
    fake.write_text(f'#!/bin/sh\nsleep 1000 &\necho $$ $! > "{pids}"\nexec sleep 1000\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a killed child nobody has reaped yet is a zombie: dead
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _all_gone(pids: Path) -> list[int]:
    numbers = [int(p) for p in pids.read_text().split()]
    assert len(numbers) == 2
    deadline = time.monotonic() + 3
    while any(_alive(p) for p in numbers) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in numbers if _alive(p)]


@posix
def test_hung_libreoffice_is_killed_with_its_children(tmp_path, hung_soffice):
    doc = _template(tmp_path, "Nội dung", "van_ban.docx")
    start = time.monotonic()
    with pytest.raises(CcpkhError) as err:
        to_pdf(doc, timeout=2)
    assert time.monotonic() - start < 5
    assert str(err.value) == (
        "Tệp van_ban.docx: LibreOffice không chuyển xong sang PDF sau 2 giây; đã dừng LibreOffice. "
        "Thử lại, hoặc tăng --pdf-timeout."
    )
    assert _all_gone(hung_soffice) == []  # the fake and the child it started
    assert not (tmp_path / "van_ban.pdf").exists()


@posix
def test_report_pdf_timeout_exits_2(tmp_path, master, hung_soffice):
    out = tmp_path / "kh.docx"
    start = time.monotonic()
    result = CliRunner().invoke(
        cli, ["report", str(master), "--kind", "ke-hoach", "--out", str(out), "--pdf", "--pdf-timeout", "2"]
    )
    assert time.monotonic() - start < 10
    assert result.exit_code == 2, result.output
    assert "Lỗi: Tệp kh.docx: LibreOffice không chuyển xong sang PDF sau 2 giây; đã dừng LibreOffice." in _flat(
        result.stderr
    )
    assert _all_gone(hung_soffice) == []
    assert out.exists() and not (tmp_path / "kh.pdf").exists()  # the Word file is kept


def test_pdf_timeout_option_is_checked(tmp_path, master):
    result = CliRunner().invoke(
        cli, ["report", str(master), "--kind", "ke-hoach", "--out", str(tmp_path / "kh.docx"), "--pdf-timeout", "0"]
    )
    assert result.exit_code == 2 and "--pdf-timeout" in result.stderr
    assert "--pdf-timeout GIÂY" in CliRunner().invoke(cli, ["report", "--help"]).output


@pytest.mark.libreoffice
def test_real_libreoffice_converts_with_the_default_timeout(tmp_path, master):
    result = write_document(master, "ke-hoach", tmp_path / "kh.docx", pdf=True)
    assert result.pdf == tmp_path / "kh.pdf"
    assert result.pdf.read_bytes()[:5] == b"%PDF-"


# --- hostile templates ----------------------------------------------------------------------------
def _refused(template: Path, tmp_path: Path, context: dict | None = None, **limits) -> tuple[str, float]:
    out = tmp_path / "o.docx"
    start = time.monotonic()
    with pytest.raises(CcpkhError) as err:
        render(template, context or {}, out, **limits)
    assert not out.exists()
    return str(err.value), time.monotonic() - start


def test_huge_range_is_refused_at_once(tmp_path):
    message, took = _refused(_template(tmp_path, "{% for i in range(10**9) %}x{% endfor %}"), tmp_path)
    assert message == "Tệp mau.docx: mẫu có vòng lặp quá lớn (range 1.000.000.000 phần tử, tối đa 100.000)."
    assert took < 10


def test_nested_ranges_are_refused_by_their_total(tmp_path):
    body = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    message, took = _refused(_template(tmp_path, body), tmp_path)
    assert "mẫu có vòng lặp quá lớn (các range cộng lại quá 10.000.000 phần tử)" in message
    assert took < 10


def test_report_with_a_huge_loop_template_exits_2(tmp_path, master):
    bad = _template(tmp_path, "{% for i in range(10**9) %}x{% endfor %}", "mau_rieng.docx")
    out = tmp_path / "kh.docx"
    result = CliRunner().invoke(
        cli, ["report", str(master), "--kind", "ke-hoach", "--out", str(out), "--template", str(bad)]
    )
    assert result.exit_code == 2
    assert "Lỗi: Tệp mau_rieng.docx: mẫu có vòng lặp quá lớn" in _flat(result.stderr)
    assert not out.exists()


def test_huge_string_is_refused_before_it_is_made(tmp_path):
    message, took = _refused(_template(tmp_path, "{{ 'x' * 10**8 }}"), tmp_path)
    assert message == "Tệp mau.docx: văn bản sinh ra từ mẫu quá 50 MB; đã dừng."
    assert took < 10


def test_output_piece_by_piece_is_refused_past_the_limit(tmp_path):
    body = "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}"  # 100 MB in 100,000 pieces
    message, took = _refused(_template(tmp_path, body), tmp_path)
    assert message == "Tệp mau.docx: văn bản sinh ra từ mẫu quá 50 MB; đã dừng."
    assert took < 10
    small, _ = _refused(_template(tmp_path, "{{ 'x' * 2000 }}"), tmp_path, max_output=1000)
    assert small == "Tệp mau.docx: văn bản sinh ra từ mẫu quá 1000 byte; đã dừng."


def test_runaway_loop_without_hooks_is_killed_on_time(tmp_path):
    """Loops over a string call nothing the sandbox sees: the child process is killed."""
    body = "{% set s = 'x' * 100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}"
    message, took = _refused(_template(tmp_path, body), tmp_path, time_limit=1.5)
    assert message == "Tệp mau.docx: điền mẫu quá 1,5 giây; đã dừng."
    assert took < 6


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory cap is set on Linux")
def test_memory_bomb_is_stopped(tmp_path):
    message, took = _refused(_template(tmp_path, "{{ 'x'|center(3 * 10**9) }}"), tmp_path)
    assert message == "Tệp mau.docx: điền mẫu cần quá nhiều bộ nhớ (hơn 1 GB); đã dừng."
    assert took < 10


def test_template_errors_still_say_where(tmp_path):
    message, _ = _refused(_template(tmp_path, "{{ ten }}"), tmp_path)
    assert message.startswith("Tệp mau.docx: mẫu dùng thẻ không có dữ liệu: ten.")
    message, _ = _refused(_template(tmp_path, "{{ x.__class__.__mro__ }}"), tmp_path, {"x": "a"})
    assert message.startswith("Tệp mau.docx: thẻ trong mẫu bị lỗi")


# --- the normal path ------------------------------------------------------------------------------
def test_shipped_template_still_renders(tmp_path, master):
    out = tmp_path / "kh.docx"
    old = tmp_path / "old.docx"
    result = write_document(master, "ke-hoach", out)
    assert result.path == out
    assert "KẾ HOẠCH" in zipfile.ZipFile(out).read("word/document.xml").decode()
    out.rename(old)
    with pytest.raises(CcpkhError):  # a failed rendering leaves the file it would replace as it was
        write_document(master, "ke-hoach", old, template=_template(tmp_path, "{{ 'x' * 10**9 }}"))
    assert "KẾ HOẠCH" in zipfile.ZipFile(old).read("word/document.xml").decode()


def test_renders_in_a_spawned_process_too(tmp_path, master, monkeypatch):
    """Windows and macOS start the child with spawn: the context must travel by pickle."""
    monkeypatch.setattr(rendering, "_start_method", lambda: "spawn")
    out = tmp_path / "kh.docx"
    write_document(master, "ke-hoach", out)
    assert "KẾ HOẠCH" in zipfile.ZipFile(out).read("word/document.xml").decode()
    message, _ = _refused(_template(tmp_path, "{% for i in range(10**9) %}x{% endfor %}"), tmp_path)
    assert "mẫu có vòng lặp quá lớn" in message


def test_without_a_child_process_the_limits_still_hold(tmp_path, monkeypatch):
    """Where no process can be started, the template is filled here, with the in-template limits."""

    def no_process(*args, **kwargs):
        raise OSError("no processes here")

    monkeypatch.setattr("multiprocessing.context.ForkProcess.start", no_process, raising=False)
    monkeypatch.setattr("multiprocessing.context.SpawnProcess.start", no_process, raising=False)
    message, _ = _refused(_template(tmp_path, "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}"), tmp_path)
    assert message == "Tệp mau.docx: văn bản sinh ra từ mẫu quá 50 MB; đã dừng."
    render(_template(tmp_path, "Kính gửi {{ a }}"), {"a": "Sở Nội vụ"}, tmp_path / "ok.docx")
    assert Document(str(tmp_path / "ok.docx")).paragraphs[0].text == "Kính gửi Sở Nội vụ"


# --- a template is bounded input too: file size, expanded parts, compression ratio ------------
MB = 1 << 20
PEAK_KB = 500 * 1024  # ru_maxrss is in KiB on Linux


@pytest.fixture
def limits_env(monkeypatch):
    """No CCPKH_MAX_* from outside; a test sets the ones it means."""
    for var in ("CCPKH_MAX_FILE_MB", "CCPKH_MAX_PART_MB", "CCPKH_MAX_RATIO", "CCPKH_MAX_ROWS"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def _raw_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip written byte by byte from (name, raw deflate data, crc, size) — sizes declared truly."""
    with open(path, "wb") as fh:
        central = []
        for name, data, crc, size in members:
            n = name.encode()
            offset = fh.tell()
            fh.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(n), 0))
            fh.write(n + data)
            head = struct.pack("<4sHHHHHHIII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size)
            central.append(head + struct.pack("<HHHHHII", len(n), 0, 0, 0, 0, 0, offset) + n)
        start = fh.tell()
        fh.write(b"".join(central))
        end = fh.tell()
        fh.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), end - start, start, 0))
    return path


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush(), zlib.crc32(data), len(data)


def _repeated(unit: bytes, times: int) -> tuple[bytes, int, int]:
    """Raw deflate of unit * times without compressing it all: the unit compressed once after a
    full flush (no back reference before it), its blocks repeated."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = co.compress(unit) + co.flush(zlib.Z_FULL_FLUSH)
    tail = co.flush()
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    return body * times + tail, crc, len(unit) * times


def _template_with(tmp_path: Path, name: str, part: str, packed: tuple[bytes, int, int]) -> Path:
    """A working template (a paragraph with a tag) plus one more part, `packed` as raw deflate."""
    base = _template(tmp_path, "Kế hoạch: {{ phu_luc_ten }}", "base_" + name)
    with zipfile.ZipFile(base) as z:
        members = [(i.filename, *_deflated(z.read(i))) for i in z.infolist()]
    base.unlink()
    return _raw_zip(tmp_path / name, [*members, (part, *packed)])


def _report(master: Path, out: Path, template: Path):
    return CliRunner().invoke(
        cli, ["report", str(master), "--kind", "ke-hoach", "--out", str(out), "--template", str(template)]
    )


def _nothing_written(folder: Path, *kept: Path) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in kept)


def test_report_refuses_a_template_over_the_file_size_limit(tmp_path, master, limits_env):
    folder = tmp_path / "lam_viec"
    folder.mkdir()
    big = _template_with(folder, "mau_nang.docx", "customXml/item1.xml", _deflated(os.urandom(200_000)))
    assert big.stat().st_size > 200_000
    limits_env.setenv("CCPKH_MAX_FILE_MB", "0.125")  # 128 KB
    out = folder / "kh.docx"
    result = _report(master, out, big)
    assert result.exit_code == 2, result.output + result.stderr
    message = _flat(result.stderr)
    assert message.startswith("Lỗi: Tệp mau_nang.docx: tệp nặng "), message
    assert "quá giới hạn 128 KB (đặt CCPKH_MAX_FILE_MB để đổi)." in message
    assert "Traceback" not in result.output + result.stderr
    _nothing_written(folder, big)


def test_report_refuses_a_template_part_that_expands_past_the_limit(tmp_path, master, limits_env):
    folder = tmp_path / "lam_viec"
    folder.mkdir()
    # 2 MB of hex digits: compresses about 2:1, so only the expanded size is at fault
    part = _template_with(folder, "mau_phan_lon.docx", "customXml/item1.xml", _deflated(os.urandom(MB).hex().encode()))
    limits_env.setenv("CCPKH_MAX_PART_MB", "1")
    out = folder / "kh.docx"
    result = _report(master, out, part)
    assert result.exit_code == 2, result.output + result.stderr
    assert _flat(result.stderr) == (
        "Lỗi: Tệp mau_phan_lon.docx: phần customXml/item1.xml giải nén ra hơn 1 MB "
        "(tệp nén bất thường, có thể là 'bom zip'); không đọc."
    )
    _nothing_written(folder, part)


def test_report_refuses_a_template_compressed_past_the_ratio_and_the_ratio_is_settable(tmp_path, master, limits_env):
    folder = tmp_path / "lam_viec"
    folder.mkdir()
    dense = _template_with(folder, "mau_nen.docx", "customXml/item1.xml", _deflated(b" " * (2 * MB)))
    out = folder / "kh.docx"
    result = _report(master, out, dense)  # default limits: 200 times
    assert result.exit_code == 2, result.output + result.stderr
    message = _flat(result.stderr)
    assert message.startswith("Lỗi: Tệp mau_nen.docx: phần customXml/item1.xml nén chặt bất thường (giải nén ra gấp ")
    assert "giới hạn 200 lần; có thể là 'bom zip'); không đọc. (Đặt CCPKH_MAX_RATIO để đổi.)" in message
    _nothing_written(folder, dense)
    limits_env.setenv("CCPKH_MAX_RATIO", "100000")  # the clerk trusts this file: it renders
    result = _report(master, out, dense)
    assert result.exit_code in (0, 1), result.output + result.stderr  # 1: written, its format to review
    assert "Kế hoạch" in Document(str(out)).paragraphs[0].text


# the report command in a child process, its own peak memory read by wait4
_REPORT = "import sys; from ccpkh_excel.frontends.cli import main; sys.argv[0] = 'ccpkh-excel'; main()"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory from wait4's ru_maxrss")
def test_a_zip_bomb_template_is_refused_fast_with_little_memory(tmp_path, master):
    folder = tmp_path / "lam_viec"
    folder.mkdir()
    bomb = _template_with(folder, "mau_bom.docx", "word/media/image1.png", _repeated(bytes(16 * MB), 64))
    assert bomb.stat().st_size < 2 * MB
    with zipfile.ZipFile(bomb) as z:
        assert z.getinfo("word/media/image1.png").file_size == 1 << 30  # 1 GiB of zeros
    out = folder / "kh.docx"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCPKH_MAX_")}
    with open(tmp_path / "stdout", "wb") as so, open(tmp_path / "stderr", "wb") as se:
        start = time.monotonic()
        args = ["report", str(master), "--kind", "ke-hoach", "--out", str(out), "--template", str(bomb)]
        proc = subprocess.Popen([sys.executable, "-c", _REPORT, *args], stdout=so, stderr=se, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = _flat((tmp_path / "stderr").read_text(encoding="utf-8"))
    assert proc.returncode == 2, stderr
    assert stderr == (
        "Lỗi: Tệp mau_bom.docx: phần word/media/image1.png giải nén ra hơn 100 MB "
        "(tệp nén bất thường, có thể là 'bom zip'); không đọc."
    )
    assert took < 15
    assert usage.ru_maxrss < PEAK_KB, f"{usage.ru_maxrss // 1024} MB"
    _nothing_written(folder, bomb)
