"""Rendering a docxtpl template, and converting a document with LibreOffice.

Templates in word_templates/ are docxtpl documents rendered in a sandboxed Jinja
environment with autoescape: whatever a cell holds (& < > quotes, line breaks, long text)
renders as typed. A tag the data lacks, a damaged template or a broken tag is reported in
Vietnamese with where it is; required information left empty is reported by name.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from ccpkh_excel.errors import CcpkhError


def render(template: Path, context: dict, out: Path, images: dict[str, Path] | None = None) -> None:
    """Render a docxtpl template safely; raise CcpkhError saying what and where on failure."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError
    from jinja2.sandbox import SandboxedEnvironment

    template = Path(template)
    if not template.exists():
        raise CcpkhError("không tìm thấy mẫu văn bản.", template)
    try:
        with zipfile.ZipFile(template) as z:
            if "word/document.xml" not in z.namelist():
                raise zipfile.BadZipFile
    except zipfile.BadZipFile:
        raise CcpkhError("mẫu không phải tệp Word (.docx) hợp lệ.", template) from None
    env = SandboxedEnvironment()
    try:
        tpl = DocxTemplate(str(template))
        missing = sorted(tpl.get_undeclared_template_variables(jinja_env=env, context=context))
    except TemplateError as exc:
        raise CcpkhError(_where(exc, template), template) from None
    except Exception as exc:  # noqa: BLE001 - a damaged part of the .docx
        raise CcpkhError(f"mẫu bị hỏng, không đọc được ({exc.__class__.__name__}).", template) from None
    if missing:
        raise CcpkhError(
            f"mẫu dùng thẻ không có dữ liệu: {', '.join(missing)}. Xem HUONG_DAN_MAU.md để biết các thẻ.", template
        )
    ctx = dict(context)
    for key, path in (images or {}).items():
        ctx[key] = InlineImage(tpl, str(path), width=Mm(150))
    try:
        tpl.render(ctx, jinja_env=env, autoescape=True)
    except TemplateError as exc:
        raise CcpkhError(_where(exc, template), template) from None
    except Exception as exc:  # noqa: BLE001 - a tag used on data of the wrong shape
        raise CcpkhError(f"không điền được mẫu ({exc.__class__.__name__}: {exc}).", template) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    tpl.save(str(out))


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


def convert(path: Path, fmt: str, out_dir: Path) -> Path:
    """Convert a document or workbook with LibreOffice headless ("pdf", "xlsx", …).

    Raise CcpkhError with a clear message when LibreOffice is not installed or fails."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise CcpkhError(
            "Chưa cài LibreOffice nên không xuất được PDF. Cài LibreOffice (https://www.libreoffice.org) "
            "hoặc mở tệp .docx bằng Word và chọn Lưu dưới dạng PDF."
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(out_dir),
            str(path),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    target = out_dir / f"{Path(path).stem}.{fmt}"
    if result.returncode != 0 or not target.exists():
        raise CcpkhError(f"LibreOffice không chuyển được sang {fmt.upper()}: {result.stderr.strip()[:200]}", path)
    return target


def to_pdf(docx: Path, out_dir: Path | None = None) -> Path:
    """The PDF of a document, beside it unless `out_dir` is given."""
    return convert(docx, "pdf", Path(out_dir or Path(docx).parent))
