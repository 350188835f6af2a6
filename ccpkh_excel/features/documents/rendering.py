"""Word documents from the master: KẾ HOẠCH, BÁO CÁO, their phụ lục, công văn đôn đốc.

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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ccpkh_excel.features.documents import nd30
from ccpkh_excel.domain.plan import Plan
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.resources import templates_dir

KINDS = {
    "ke-hoach": "ke_hoach.docx",
    "phu-luc": "phu_luc.docx",
    "bao-cao": "bao_cao.docx",
    "don-doc": "cong_van_don_doc.docx",
}
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]
REQUIRED_INFO = ("Cơ quan ban hành", "Địa danh", "Trích yếu", "Chức vụ người ký", "Người ký")


@dataclass
class Rendered:
    path: Path
    warnings: list[str] = field(default_factory=list)
    pdf: Path | None = None


# --- context ----------------------------------------------------------------------------------
def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def _kind_name(plan: Plan) -> str:
    t = _text(plan.info.get("Tên loại")) or "Kế hoạch"
    return t[0].upper() + t[1:].lower()


def document_reference(plan: Plan) -> str:
    """ "Kế hoạch số 188/KH-UBND ngày 27 tháng 12 năm 2025 của Ủy ban nhân dân tỉnh Thái Nguyên"."""
    info = plan.info
    so = _text(info.get("Số ký hiệu"))
    text = f"{_kind_name(plan)} số {so if so else '      /KH-'}"
    d = info.get("Ngày ban hành")
    text += f" {nd30.long_date(d)}" if isinstance(d, date) else " ngày      tháng      năm"
    if info.get("Cơ quan ban hành"):
        text += f" của {info['Cơ quan ban hành']}"
    return text


def base_context(plan: Plan) -> dict:
    info = plan.info
    d = info.get("Ngày ban hành")
    authority = _text(info.get("Quyền hạn ký"))
    return {
        "co_quan_chu_quan": _text(info.get("Cơ quan chủ quản")),
        "co_quan_ban_hanh": _text(info.get("Cơ quan ban hành")),
        "so_ky_hieu": _text(info.get("Số ký hiệu")) or "      /KH-",
        "dia_danh_ngay": nd30.date_line(_text(info.get("Địa danh")), d if isinstance(d, date) else None, plan.year),
        "trich_yeu": _text(info.get("Trích yếu")),
        "quyen_han": authority if authority not in ("", "(để trống)") else "",
        "chuc_vu": _text(info.get("Chức vụ người ký")),
        "nguoi_ky": _text(info.get("Người ký")),
        "noi_nhan": [x.strip() for x in _text(info.get("Nơi nhận")).split(";") if x.strip()],
        "nam": plan.year or "",
    }


def _grouped(items: list[tuple[str, str]]) -> list[dict]:
    out: list[dict] = []
    for head, text in items:
        if not out or out[-1]["title"] != head:
            out.append({"number": len(out) + 1, "title": head, "bullets": []})
        out[-1]["bullets"].append(text.rstrip(";. "))
    return out


def plan_rows(plan: Plan) -> tuple[list[dict], bool]:
    """Rows of the DANH MỤC: roman group rows when the plan numbers tasks within groups."""
    stts = [t.stt for t in plan.tasks if t.stt]
    grouped = len(stts) != len(set(stts)) and all(t.field for t in plan.tasks)
    rows, current = [], None
    groups = 0
    for t in plan.tasks:
        if grouped and t.field != current:
            current = t.field
            groups += 1
            number = ROMAN[groups - 1] if groups <= len(ROMAN) else str(groups)
            if t.stt != number:  # a task numbered with the roman numeral is its own group row
                rows.append({"group": True, "stt": number, "title": t.field})
        rows.append(
            {
                "group": False,
                "stt": t.stt,
                "content": t.content,
                "lead": t.lead,
                "coop": t.coop,
                "deadline": t.deadline,
                "product": t.product,
            }
        )
    return rows, grouped


def plan_context(plan: Plan) -> dict:
    ctx = base_context(plan)
    names = {u.code: u.name for u in plan.units}
    year = plan.year
    ctx.update(
        {
            "can_cu": [b.rstrip(";. ") for b in plan.basis],
            "loi_dan": _text(plan.info.get("Lời dẫn")),
            "muc_dich": [t.rstrip(";. ") for m, t in plan.purposes if m.lower().startswith("mục đích")],
            "yeu_cau": [t.rstrip(";. ") for m, t in plan.purposes if m.lower().startswith("yêu cầu")],
            "noi_dung": _grouped(plan.content),
            "to_chuc": [{**g, "heading": names.get(g["title"], g["title"])} for g in _grouped(plan.organization)],
            "doan_ket": _text(plan.info.get("Đoạn kết")) or "Trên đây là Kế hoạch./.",
            "phu_luc_ten": f"Danh mục nhiệm vụ trọng tâm thực hiện cải cách hành chính năm {year}"
            if year
            else "Danh mục nhiệm vụ trọng tâm",
            "kem_theo": f"Kèm theo {document_reference(plan)}",
            "dan_chieu_phu_luc": f"Có Danh mục nhiệm vụ trọng tâm cải cách hành chính năm {year} kèm theo"
            if year
            else "Có Danh mục nhiệm vụ trọng tâm kèm theo",
        }
    )
    rows, _ = plan_rows(plan)
    ctx["rows"] = rows
    ctx["co_san_pham"] = any(t.product for t in plan.tasks)
    return ctx


def missing_info(plan: Plan) -> list[str]:
    return [
        f"Thông tin chung chưa có '{k}': chỗ đó trong văn bản để trống."
        for k in REQUIRED_INFO
        if not _text(plan.info.get(k))
    ]


# --- rendering ---------------------------------------------------------------------------------
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


def write_document(
    master: Path,
    kind: str,
    out: Path,
    period: str | None = None,
    unit: str | None = None,
    template: Path | None = None,
    pdf: bool = False,
    as_of: date | None = None,
) -> Rendered:
    """Write one document of `kind` (ke-hoach, phu-luc, bao-cao, don-doc) from the master."""
    from ccpkh_excel.store.master import read_plan

    if kind not in KINDS:
        raise CcpkhError(f"Loại văn bản '{kind}' không có; chọn một trong: {', '.join(KINDS)}.")
    out = Path(out)
    plan = read_plan(master)
    warnings = missing_info(plan)
    images: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if kind in ("ke-hoach", "phu-luc"):
            ctx = plan_context(plan)
        else:
            from ccpkh_excel.features.documents.period_report import report_context

            ctx, images, more = report_context(master, plan, kind, period, unit, as_of, Path(tmp))
            warnings += more
        render(template or templates_dir() / KINDS[kind], ctx, out, images)
    result = Rendered(out, warnings)
    if pdf:
        result.pdf = to_pdf(out)
    return result


__all__ = ["KINDS", "convert", "plan_context", "render", "to_pdf", "write_document"]
