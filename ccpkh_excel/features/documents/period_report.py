"""The context of the periodic BÁO CÁO and of the công văn đôn đốc, from Tổng hợp and the
status figures (`status`): every figure printed is the library's figure."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ccpkh_excel.domain import times
from ccpkh_excel.domain.plan import Plan, build_assignments
from ccpkh_excel.domain.status import NO_FIELD, StatusFigures, compute_status, latest_period
from ccpkh_excel.domain.units import LEAD
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.documents import nd30
from ccpkh_excel.features.documents.context import base_context, document_reference
from ccpkh_excel.store.master import Master


def _suffix(plan: Plan) -> str:
    """The issuing body's abbreviation from its số ký hiệu: "188/KH-UBND" → "UBND"."""
    so = str(plan.info.get("Số ký hiệu") or "")
    return so.split("-", 1)[1] if "-" in so else "UBND"


def _item(unit: object, text: object) -> str:
    """ "Unit: text" without the text's own closing punctuation (the template adds it)."""
    return f"{unit}: {str(text).strip().rstrip(' .;')}"


def chart(st: StatusFigures, path: Path) -> Path:
    """A stacked bar chart of the tasks of each field by status, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [c.label for c in st.fields]
    series = [
        ("Hoàn thành đúng hạn", [c.on_time for c in st.fields], "#2e7d32"),
        ("Hoàn thành quá hạn", [c.late for c in st.fields], "#f9a825"),
        ("Đang thực hiện", [c.in_progress for c in st.fields], "#1565c0"),
        ("Quá hạn", [c.overdue for c in st.fields], "#c62828"),
        ("Chưa thực hiện", [c.rest for c in st.fields], "#9e9e9e"),
    ]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(labels) + 1.8), dpi=150)
    left = [0] * len(labels)
    wrapped = [_wrap(x, 34) for x in labels]
    for name, values, colour in series:
        ax.barh(wrapped, values, left=left, label=name, color=colour)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("Số nhiệm vụ")
    ax.set_title(f"Tình hình thực hiện nhiệm vụ theo lĩnh vực — {st.period}")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _wrap(text: str, width: int) -> str:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "\n".join(lines)


def report_context(m: Master, kind: str, period: str | None, unit: str | None, as_of: date | None, tmp: Path):
    """(context, images, warnings) for bao-cao and don-doc."""
    master, plan, records = m.path, m.plan, m.records
    st = compute_status(
        plan, records.summary, period or latest_period(records, master), as_of or times.today(), records.returns
    )
    names = {u.code: u.name for u in plan.units}
    if unit and unit not in names:
        raise CcpkhError(f"Không có đơn vị mã {unit} trong sheet Đơn vị.", master)
    ctx = base_context(plan)
    # a report or a letter is dated when it is signed: the date is left for the signing day
    ctx["dia_danh_ngay"] = nd30.date_line(str(plan.info.get("Địa danh") or ""), None, st.as_of.year)
    ctx["ky"] = st.period
    ctx["ngay_tinh"] = f"{st.as_of:%d/%m/%Y}"
    ctx["ke_hoach"] = document_reference(plan)
    warnings: list[str] = []
    if kind == "bao-cao":
        return _report(plan, st, records, names, unit, ctx, tmp, warnings)
    return _reminder(plan, st, names, unit, ctx), {}, warnings


def _report(plan, st, records, names, unit, ctx, tmp, warnings):
    rows = [r for r in records.summary if r.period == st.period and (unit is None or r.unit == unit)]
    if unit:
        # a unit's own report: the tasks it leads, judged by its own rows alone
        mine = {a.task for a in build_assignments(plan) if a.unit == unit and a.role == LEAD}
        own = [u for u in plan.units if u.code == unit]
        plan = Plan(info=plan.info, units=own, tasks=[t for t in plan.tasks if t.code in mine])
        st = compute_status(plan, [r for r in records.summary if r.unit == unit], st.period, st.as_of, records.returns)
    order = {t.code: i for i, t in enumerate(plan.tasks)}
    field_of = {t.code: (t.field or NO_FIELD) for t in plan.tasks}
    lead_first = sorted(rows, key=lambda r: (order.get(r.task, 10**9), r.role != LEAD))
    results: dict[str, list[str]] = {}
    for r in lead_first:
        if r.result and r.task in field_of:
            results.setdefault(field_of[r.task], []).append(_item(r.unit_name, r.result))
    t = st.total
    ctx.update(
        {
            "so_ky_hieu": f"      /BC-{_suffix(plan)}",
            "trich_yeu": f"Kết quả thực hiện công tác cải cách hành chính {st.period}",
            "tong": {
                "so_nv": t.tasks,
                "dung_han": t.on_time,
                "qua_han": t.late,
                "dang_thuc_hien": t.in_progress,
                "qua_han_chua_xong": t.overdue,
                "chua_thuc_hien": t.rest,
                "ty_le": f"{t.pct:.1f}".replace(".", ","),
            },
            "linh_vuc": [
                {
                    "number": i,
                    "title": c.label,
                    "so_nv": c.tasks,
                    "dung_han": c.on_time,
                    "qua_han": c.late,
                    "dang_thuc_hien": c.in_progress,
                    "qua_han_chua_xong": c.overdue,
                    "chua_thuc_hien": c.rest,
                    "ty_le": f"{c.pct:.1f}".replace(".", ","),
                    "ket_qua": results.get(c.label, []),
                }
                for i, c in enumerate(st.fields, start=1)
            ],
            "kho_khan": [_item(r.unit_name, r.difficulty) for r in lead_first if r.difficulty],
            "de_xuat": [_item(r.unit_name, r.proposal) for r in lead_first if r.proposal],
            "chua_bao_cao": [name for _, name in st.missing if not unit],
            "phu_luc_ten": f"Tổng hợp kết quả thực hiện nhiệm vụ {st.period}",
            "kem_theo": f"Kèm theo Báo cáo số      /BC-{_suffix(plan)} ngày      tháng      năm {plan.year or ''} của "
            f"{plan.info.get('Cơ quan ban hành', '')}".rstrip(),
        }
    )
    lead_names: dict[str, list[str]] = {}
    for a in build_assignments(plan):
        if a.role == LEAD:
            lead_names.setdefault(a.task, []).append(a.unit_name)
    by_task: dict[str, list[str]] = {}
    for r in lead_first:
        if r.role == LEAD and r.result:
            by_task.setdefault(r.task, []).append(f"{r.unit_name}: {r.result}")
    status = {s.code: s.status for s in st.tasks}
    ctx["rows"] = [
        {
            "group": False,
            "stt": str(i),
            "content": tk.content,
            "lead": "; ".join(lead_names.get(tk.code, [])) or tk.lead,
            "status": status.get(tk.code, ""),
            "result": "\n".join(by_task.get(tk.code, [])),
            "deadline": tk.deadline,
        }
        for i, tk in enumerate(plan.tasks, start=1)
    ]
    ctx["bieu_do"] = ""
    images = {"bieu_do": chart(st, tmp / "bieu_do.png")} if st.fields else {}
    if not rows:
        warnings.append(f"Chưa có số liệu nào của kỳ {st.period} trong Tổng hợp: báo cáo chỉ có khung.")
    return ctx, images, warnings


def _reminder(plan, st, names, unit, ctx):
    assignments = build_assignments(plan)
    leads: dict[str, list[str]] = {}
    for a in assignments:
        if a.role == LEAD:
            leads.setdefault(a.task, []).append(a.unit)
    missing = [(c, n) for c, n in st.missing if unit is None or c == unit]
    overdue = [t for t in st.overdue if unit is None or unit in leads.get(t.code, [])]
    overdue_units = {c for t in overdue for c in leads.get(t.code, [])}
    recipients = list(dict.fromkeys([n for _, n in missing] + [names[c] for c in names if c in overdue_units]))
    ctx.update(
        {
            "so_ky_hieu": f"      /{_suffix(plan)}-CCHC",
            "trich_yeu": f"đôn đốc báo cáo và thực hiện nhiệm vụ cải cách hành chính {st.period}",
            "kinh_gui": recipients or ["Các cơ quan, đơn vị"],
            "chua_nop": [n for _, n in missing],
            "qua_han": [
                {
                    "code": t.code,
                    "content": t.content.rstrip("."),
                    "han": f"{t.due:%d/%m/%Y}",
                    "chu_tri": ", ".join(names.get(c, c) for c in leads.get(t.code, [])),
                }
                for t in overdue
            ],
            "han_moi": f"{st.as_of + timedelta(days=7):%d/%m/%Y}",
            "noi_nhan": ["Như trên"] + [x for x in ctx["noi_nhan"] if x.startswith("Lưu")] or ["Như trên", "Lưu: VT"],
        }
    )
    if not any(x.startswith("Lưu") for x in ctx["noi_nhan"]):
        ctx["noi_nhan"].append("Lưu: VT")
    return ctx


__all__ = ["chart", "report_context"]
