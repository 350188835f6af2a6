"""Rendering a docxtpl template, and converting a document with LibreOffice.

Templates in word_templates/ are docxtpl documents rendered in a sandboxed Jinja
environment with autoescape: whatever a cell holds (& < > quotes, line breaks, long text)
renders as typed. A tag the data lacks, a damaged template or a broken tag is reported in
Vietnamese with where it is; required information left empty is reported by name.
A template may be a clerk's own: it is filled in a child process under limits (loop sizes,
time, output size, memory), and past one the clerk is told which, naming the template.

LibreOffice runs in a process group of its own with a private profile, for a bounded time;
past it the whole group is killed.
"""

from __future__ import annotations

import functools
import gc
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ccpkh_excel.domain.vntext import thousands
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.limits import Limits, check_docx, check_file

MAX_RANGE = 100_000  # items of one range() in a template
MAX_ITERATIONS = 10_000_000  # items of all the range() calls of one rendering together
TIME_LIMIT = 60.0  # seconds to fill one template
MAX_OUTPUT = 50 * 1024 * 1024  # characters of rendered XML (about bytes)
MAX_MEMORY = 1024**3  # bytes the rendering process may take beyond what it starts with
PDF_TIMEOUT = 120.0  # seconds LibreOffice may take for one conversion


class _LimitExceeded(Exception):
    """A template went past one of the limits; `reason` says which, in Vietnamese."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def render(
    template: Path,
    context: dict,
    out: Path,
    images: dict[str, Path] | None = None,
    *,
    time_limit: float = TIME_LIMIT,
    max_output: int = MAX_OUTPUT,
    max_memory: int = MAX_MEMORY,
    meanwhile: Callable[[], object] | None = None,
) -> None:
    """Render a docxtpl template safely; raise CcpkhError saying what and where on failure.
    `meanwhile`: work for this process while the child fills the template (its errors are
    left to the code that needs its result).

    A template may be a clerk's own, so it is filled under limits: a range() of at most
    MAX_RANGE items (MAX_ITERATIONS for all of them), `time_limit` seconds, `max_output`
    characters of XML and, on Linux, `max_memory` bytes more than the process starts with.
    It is filled in a child process (forked on Linux: a few milliseconds), killed when the
    time is up; `out` is written only when the template filled."""
    template, out = Path(template), Path(out)
    if not template.exists():
        raise CcpkhError("không tìm thấy mẫu văn bản.", template)
    check_file(template, Limits.from_env())  # sizes from the zip directory before it is opened
    try:
        with zipfile.ZipFile(template) as z:
            if "word/document.xml" not in z.namelist():
                raise zipfile.BadZipFile
    except zipfile.BadZipFile:
        raise CcpkhError("mẫu không phải tệp Word (.docx) hợp lệ.", template) from None
    check_docx(template, Limits.from_env())  # a template is input too: size, zip parts, paragraphs
    with tempfile.TemporaryDirectory(prefix="ccpkh-mau-", ignore_cleanup_errors=True) as tmp:
        made = Path(tmp) / "out.docx"
        images = {k: str(v) for k, v in (images or {}).items()}
        job = _Job(str(template), context, str(made), images, float(time_limit), int(max_output), int(max_memory))
        kind, payload = _run_isolated(job, meanwhile)
        if kind == "error":
            raise CcpkhError(payload, template)
        if kind == "exception":
            raise payload
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made), str(out))


@dataclass
class _Job:
    template: str
    context: dict
    out: str
    images: dict[str, str]
    time_limit: float = TIME_LIMIT
    max_output: int = MAX_OUTPUT
    max_memory: int = MAX_MEMORY


def _start_method() -> str:
    """fork on Linux when this process runs a single thread (cheap, nothing to import again);
    spawn elsewhere (Windows, macOS) or beside other threads."""
    import multiprocessing
    import threading

    if (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    ):
        return "fork"
    return "spawn"


def _run_isolated(job: _Job, meanwhile: Callable[[], object] | None = None) -> tuple[str, object]:
    """("ok", None), ("error", reason) or ("exception", exc) from filling `job` in a child
    process killed after job.time_limit seconds. Where no child process can be started (a
    frozen or embedded Python), the template is filled here, under the in-template limits."""
    import multiprocessing

    ctx = multiprocessing.get_context(_start_method())
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(writer, job), name="ccpkh-render", daemon=True)
    try:
        proc.start()
    except Exception:  # noqa: BLE001 - no child process here
        reader.close()
        writer.close()
        return _outcome(job)
    writer.close()
    try:
        started = reader.poll(60) and reader.recv()
    except EOFError:
        started = None
    if not started:  # the child could not even start (an embedded host, a __main__ without guard)
        _stop(proc, reader)
        return _outcome(job)
    until = time.monotonic() + job.time_limit + 0.5
    if meanwhile is not None:
        try:
            meanwhile()
        except Exception:  # noqa: BLE001, S110 - done again, and reported, where its result is needed
            pass
    try:
        if reader.poll(max(until - time.monotonic(), 0.0)):
            try:
                return reader.recv()
            except EOFError:  # died without a word: killed from outside, or by the system for memory
                proc.join(5)
                return "error", f"điền mẫu bị dừng bất thường (mã {proc.exitcode})."
        return "error", _time_reason(job.time_limit)
    finally:
        _stop(proc, reader)


def _stop(proc, reader) -> None:
    if proc.is_alive():
        proc.kill()
    proc.join()
    reader.close()


def _child(writer, job: _Job) -> None:
    gc.freeze()  # a forked child: the collector leaves the parent's objects (and their pages) alone
    writer.send(("started", None))
    _cap_memory(job.max_memory)
    outcome = _outcome(job)
    try:
        writer.send(outcome)
    except Exception:  # noqa: BLE001 - an exception that cannot be pickled
        writer.send(("exception", RuntimeError(f"{outcome[1].__class__.__name__}: {outcome[1]}")))
    writer.close()


def _cap_memory(extra: int) -> None:
    """Limit this (child) process's address space to its present size plus `extra` (Linux)."""
    try:
        import resource

        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):
        pass


def _outcome(job: _Job) -> tuple[str, object]:
    try:
        _fill(job)
    except _LimitExceeded as exc:
        return "error", exc.reason
    except CcpkhError as exc:
        return "error", exc.reason
    except MemoryError:
        return "error", _memory_reason(job.max_memory)
    except Exception as exc:  # noqa: BLE001 - a bug: raised again in the caller
        return "exception", exc
    return "ok", None


def _fill(job: _Job) -> None:
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError

    template = Path(job.template)
    env = _environment_class()(job.time_limit, job.max_output)
    try:
        tpl = _quick(DocxTemplate)(str(template))
        missing = sorted(tpl.get_undeclared_template_variables(jinja_env=env, context=job.context))
    except TemplateError as exc:
        raise CcpkhError(_where(exc, template), template) from None
    except (_LimitExceeded, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged part of the .docx
        raise CcpkhError(f"mẫu bị hỏng, không đọc được ({exc.__class__.__name__}).", template) from None
    if missing:
        raise CcpkhError(
            f"mẫu dùng thẻ không có dữ liệu: {', '.join(missing)}. Xem HUONG_DAN_MAU.md để biết các thẻ.", template
        )
    ctx = dict(job.context)
    for key, path in job.images.items():
        ctx[key] = InlineImage(tpl, path, width=Mm(150))
    try:
        tpl.render(ctx, jinja_env=env, autoescape=True)
    except TemplateError as exc:
        raise CcpkhError(_where(exc, template), template) from None
    except (_LimitExceeded, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a tag used on data of the wrong shape
        raise CcpkhError(f"không điền được mẫu ({exc.__class__.__name__}: {exc}).", template) from None
    env.check_time()
    tpl.save(job.out)


_LISTING = re.compile("[\t\a\n\f]")


def _quick(base: type) -> type:
    """docxtpl's template, its `resolve_listing` skipped when it would change nothing.

    docxtpl turns a \\t, \\a, \\n or \\f in a text into a tab, a paragraph, a line or a page
    break, with three nested regular-expression passes over every paragraph, run and text —
    half a second on a province's BÁO CÁO of tens of thousands of paragraphs, which has none:
    the passes only ever look from the first "<w:p" on, so with none of those characters
    there (the XML declaration's line break comes before) the XML is returned as it is."""

    class Template(base):
        def resolve_listing(self, xml):
            start = xml.find("<w:p")
            if start < 0 or not _LISTING.search(xml, start):
                return xml
            return super().resolve_listing(xml)

    return Template


def _decimal(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _time_reason(limit: float) -> str:
    return f"điền mẫu quá {_decimal(limit)} giây; đã dừng."


def _size_reason(limit: int) -> str:
    return f"văn bản sinh ra từ mẫu quá {_amount(limit)}; đã dừng."


def _memory_reason(limit: int) -> str:
    return f"điền mẫu cần quá nhiều bộ nhớ (hơn {_amount(limit)}); đã dừng."


def _amount(size: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{_decimal(round(size / scale, 1))} {unit}"
    return f"{size} byte"


@functools.cache
def _environment_class():
    """A sandboxed Jinja environment with limits: range() sizes, * and ** results, output
    size and time (checked at every call and every piece of output)."""
    from jinja2.sandbox import SandboxedEnvironment

    class LimitedEnvironment(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def __init__(self, time_limit: float, max_output: int):
            super().__init__()
            self.time_limit, self.max_output = time_limit, max_output
            self.deadline = time.monotonic() + time_limit
            self.produced = 0
            self.iterations = 0
            self.globals["range"] = self.limited_range
            self.globals["lipsum"] = self.limited_lipsum

        def check_time(self) -> None:
            if time.monotonic() > self.deadline:
                raise _LimitExceeded(_time_reason(self.time_limit))

        def limited_range(self, *args):
            rng = range(*args)
            try:
                n = len(rng)
            except OverflowError:  # more items than an index can count
                n = (rng.stop - rng.start) // rng.step
            if n > MAX_RANGE:
                raise _LimitExceeded(
                    f"mẫu có vòng lặp quá lớn (range {thousands(n)} phần tử, tối đa {thousands(MAX_RANGE)})."
                )
            self.iterations += n
            if self.iterations > MAX_ITERATIONS:
                raise _LimitExceeded(
                    f"mẫu có vòng lặp quá lớn (các range cộng lại quá {thousands(MAX_ITERATIONS)} phần tử)."
                )
            self.check_time()
            return rng

        def limited_lipsum(self, n: int = 5, *args, **kwargs):
            from jinja2.utils import generate_lorem_ipsum

            if not isinstance(n, int) or n > 100:
                raise _LimitExceeded("mẫu gọi lipsum() quá 100 đoạn.")
            return generate_lorem_ipsum(n, *args, **kwargs)

        def call(self, context, obj, /, *args, **kwargs):
            self.check_time()
            return super().call(context, obj, *args, **kwargs)

        def call_binop(self, context, operator, left, right):
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    if (
                        isinstance(seq, str | bytes | list | tuple)
                        and isinstance(times, int)
                        and len(seq) * times > self.max_output
                    ):
                        raise _LimitExceeded(_size_reason(self.max_output))
            elif (
                operator == "**"
                and isinstance(left, int)
                and isinstance(right, int)
                and abs(left) > 1
                and right * left.bit_length() > 1_000_000
            ):
                raise _LimitExceeded("mẫu có phép lũy thừa quá lớn.")
            return super().call_binop(context, operator, left, right)

        def concat(self, pieces) -> str:  # Template.render joins the output with this
            out = []
            for piece in pieces:
                self.produced += len(piece)
                if self.produced > self.max_output:
                    raise _LimitExceeded(_size_reason(self.max_output))
                if time.monotonic() > self.deadline:
                    raise _LimitExceeded(_time_reason(self.time_limit))
                out.append(piece)
            return "".join(out)

    return LimitedEnvironment


def _where(exc, template: Path | None = None) -> str:
    near = getattr(exc, "docx_context", None)
    snippet = ""
    if near:
        snippet = re.sub(r"<[^>]+>", "", " ".join(near) if isinstance(near, list) else str(near)).strip()
    elif template is not None:
        snippet = _unbalanced_tag(template)
    where = f" (gần: «{snippet[:120]}»)" if snippet else ""
    return f"thẻ trong mẫu bị lỗi: {exc.message if getattr(exc, 'message', None) else exc}{where}."


def _unbalanced_tag(template: Path) -> str:
    """The first paragraph of the template whose {{ }} or {% %} do not close."""
    from docx import Document

    try:
        doc = Document(str(template))
    except Exception:  # noqa: BLE001
        return ""
    paras = list(doc.paragraphs) + [p for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    for p in paras:
        t = p.text
        if t.count("{{") != t.count("}}") or t.count("{%") != t.count("%}"):
            return t
    return ""


def convert(path: Path, fmt: str, out_dir: Path, timeout: float = PDF_TIMEOUT) -> Path:
    """Convert a document or workbook with LibreOffice headless ("pdf", "xlsx", …).

    LibreOffice runs in a process group of its own with a private profile (a hung LibreOffice
    of the user's does not block it, nor do two conversions at once), for at most `timeout`
    seconds: past that the whole group is killed and nothing is left in `out_dir`. Raise
    CcpkhError with a clear message when LibreOffice is not installed, fails or times out."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise CcpkhError(
            "Chưa cài LibreOffice nên không xuất được PDF. Cài LibreOffice (https://www.libreoffice.org) "
            "hoặc mở tệp .docx bằng Word và chọn Lưu dưới dạng PDF."
        )
    path, out_dir = Path(path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{path.stem}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="ccpkh-lo-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        made = work / "out"
        made.mkdir()
        cmd = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(made),
            str(path.resolve()),
        ]
        log = work / "log.txt"
        with open(log, "wb") as messages:
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=messages, stderr=messages, **_own_group())
            except OSError as exc:
                raise CcpkhError(f"không chạy được LibreOffice ({soffice}): {exc}.", path) from None
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                hint = "Thử lại, hoặc tăng --pdf-timeout." if fmt == "pdf" else "Thử lại."
                raise CcpkhError(
                    f"LibreOffice không chuyển xong sang {fmt.upper()} sau {_decimal(timeout)} giây; "
                    f"đã dừng LibreOffice. {hint}",
                    path,
                ) from None
            except BaseException:  # Ctrl+C while waiting: LibreOffice must not outlive us
                _kill_group(proc)
                raise
        produced = made / target.name
        if proc.returncode != 0 or not produced.exists():
            said = log.read_text(encoding="utf-8", errors="replace").strip()
            raise CcpkhError(f"LibreOffice không chuyển được sang {fmt.upper()}: {said[:200]}", path)
        shutil.move(str(produced), str(target))
    return target


def _own_group() -> dict:
    """Popen arguments that start a process in a process group of its own."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill `proc` and every process it started (its process group), and reap it."""
    if os.name == "nt":
        subprocess.run(
            ["taskkill", "/T", "/F", "/PID", str(proc.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group id is its pid
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.kill()
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def to_pdf(docx: Path, out_dir: Path | None = None, timeout: float = PDF_TIMEOUT) -> Path:
    """The PDF of a document, beside it unless `out_dir` is given; LibreOffice gets `timeout` seconds."""
    return convert(docx, "pdf", Path(out_dir or Path(docx).parent), timeout)
