"""`report`: one Word document from the master — KẾ HOẠCH, its phụ lục, the period BÁO CÁO,
the công văn đôn đốc — rendered from its template, optionally as PDF too."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.documents.context import missing_info, plan_context
from ccpkh_excel.features.documents.period_report import report_context
from ccpkh_excel.features.documents.rendering import PDF_TIMEOUT, render, to_pdf
from ccpkh_excel.resources import templates_dir
from ccpkh_excel.store.master import Master

KINDS = {
    "ke-hoach": "ke_hoach.docx",
    "phu-luc": "phu_luc.docx",
    "bao-cao": "bao_cao.docx",
    "don-doc": "cong_van_don_doc.docx",
}


@dataclass
class Rendered:
    path: Path
    warnings: list[str] = field(default_factory=list)
    pdf: Path | None = None


def write_document(
    master: Master | Path,
    kind: str,
    out: Path,
    period: str | None = None,
    unit: str | None = None,
    template: Path | None = None,
    pdf: bool = False,
    as_of: date | None = None,
    pdf_timeout: float = PDF_TIMEOUT,
) -> Rendered:
    """Write one document of `kind` (ke-hoach, phu-luc, bao-cao, don-doc) from the master.

    The template is filled under limits (time, output size, loop sizes: see rendering.render);
    with `pdf`, LibreOffice gets `pdf_timeout` seconds and is stopped past them."""
    if kind not in KINDS:
        raise CcpkhError(f"Loại văn bản '{kind}' không có; chọn một trong: {', '.join(KINDS)}.")
    out = Path(out)
    m = master if isinstance(master, Master) else Master.read(master)
    plan = m.plan
    warnings = missing_info(plan)
    images: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if kind in ("ke-hoach", "phu-luc"):
            ctx = plan_context(plan)
        else:
            ctx, images, more = report_context(m, kind, period, unit, as_of, Path(tmp))
            warnings += more
        render(template or templates_dir() / KINDS[kind], ctx, out, images)
    result = Rendered(out, warnings)
    if pdf:
        result.pdf = to_pdf(out, timeout=pdf_timeout)
    return result
