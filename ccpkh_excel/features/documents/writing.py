"""`report`: one Word document from the master — KẾ HOẠCH, its phụ lục, the period BÁO CÁO,
the công văn đôn đốc — rendered from its template, optionally as PDF too."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.documents.context import missing_info, plan_context
from ccpkh_excel.features.documents.lint import fit_and_lint
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
    deviations: list = field(default_factory=list)  # the format check of the document written (lint)


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
        # the format check measures text with fonts found by matplotlib: looked up while the child fills
        render(template or templates_dir() / KINDS[kind], ctx, out, images, meanwhile=_fonts)
    result = Rendered(out, warnings, deviations=fit_and_lint(out))
    if pdf:
        result.pdf = to_pdf(out, timeout=pdf_timeout)
    return result


def _fonts() -> None:
    from ccpkh_excel.features.documents import measure

    measure._font_file(False)
    measure._font_file(True)


def write_reminders(
    master: Master | Path,
    out_dir: Path,
    period: str | None = None,
    as_of: date | None = None,
    template: Path | None = None,
    pdf: bool = False,
    pdf_timeout: float = PDF_TIMEOUT,
) -> list[Rendered]:
    """One công văn đôn đốc per unit behind (not returned, or with a task overdue or not
    reported), each naming its tasks: `<mã đơn vị>_cong_van_don_doc_<kỳ>.docx` in `out_dir`.
    The master is read once."""
    from ccpkh_excel.domain import times
    from ccpkh_excel.domain.periods import parse_period
    from ccpkh_excel.domain.status import compute_status, latest_period
    from ccpkh_excel.features.documents.period_report import _common, reminder_context, units_behind

    m = master if isinstance(master, Master) else Master.read(master)
    plan, records = m.plan, m.records
    st = compute_status(
        plan, records.summary, period or latest_period(records, m.path), as_of or times.today(), records.returns
    )
    names = {u.code: u.name for u in plan.units}
    warnings = missing_info(plan)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    slug = parse_period(st.period).slug
    done = []
    for code in units_behind(st):
        ctx = reminder_context(plan, st, names, code, _common(plan, st))
        out = out_dir / f"{code}_cong_van_don_doc_{slug}.docx"
        render(template or templates_dir() / KINDS["don-doc"], ctx, out)
        r = Rendered(out, list(warnings), deviations=fit_and_lint(out))
        if pdf:
            r.pdf = to_pdf(out, timeout=pdf_timeout)
        done.append(r)
    return done
