"""The context of the periodic BÁO CÁO and of the công văn đôn đốc, from the master: the
status figures (`status`, four classes), Tổng hợp's results and *Theo dõi nộp*, and the
clerk's paragraphs of the sheet *Đánh giá*. Every figure printed is the library's figure.

The BÁO CÁO follows the Ministry of Home Affairs' outline (domain/outline.py). It
summarises: its size follows the tasks and the units, never the rows of Tổng hợp (one pass
over them; at most `MAX_UNIT_LINES` unit lines per field and `RESULT_CHARS` of a result).
"""

from __future__ import annotations

import gc
import importlib
import os
import re
import sys
import threading
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from ccpkh_excel.domain import outline, times
from ccpkh_excel.domain.plan import Plan, build_assignments
from ccpkh_excel.domain.status import (
    DONE,
    IN_PROGRESS,
    LATE,
    NO_FIELD,
    ON_TIME,
    OVERDUE,
    StatusFigures,
    compute_status,
    latest_period,
    next_period,
    tasks_due_in,
)
from ccpkh_excel.domain.units import LEAD
from ccpkh_excel.errors import CcpkhError
from ccpkh_excel.features.documents import nd30
from ccpkh_excel.features.documents.assessment import read_assessment
from ccpkh_excel.features.documents.context import base_context, dashes, document_reference, signing_authority
from ccpkh_excel.store.master import Master

MAX_UNIT_LINES = 30  # units named under one field's results; the others are counted
MAX_TASK_LINES = 40  # tasks listed under "late / overdue" and "due next period"
RESULT_CHARS = 160  # of one unit's result in the body
COLOURS = {ON_TIME: "#2e7d32", LATE: "#f9a825", IN_PROGRESS: "#1565c0", OVERDUE: "#c62828"}


def _suffix(plan: Plan) -> str:
    """The issuing body's abbreviation from its số ký hiệu: "188/KH-UBND" → "UBND"."""
    so = str(plan.info.get("Số ký hiệu") or "")
    return so.split("-", 1)[1] if "-" in so else "UBND"


def _recipients(plan: Plan) -> list[str]:
    return [x.strip() for x in str(plan.info.get("Nơi nhận") or "").split(";") if x.strip()]


def _drafting_unit(plan: Plan) -> str:
    """The drafting unit named in the plan's "Lưu: VT, …" (TTPVHCC), else CCHC."""
    for x in _recipients(plan):
        if x.startswith("Lưu"):
            parts = [p.strip() for p in x.split(":", 1)[-1].split(",") if p.strip() and p.strip() != "VT"]
            if parts and re.fullmatch(r"[A-ZĐ0-9&.]+", parts[0]):
                return parts[0]
    return "CCHC"


_LEADERS = re.compile(r"(chủ tịch|pct|phó chủ tịch|lãnh đạo|giám đốc|thường trực|^tt\.)", re.IGNORECASE)
_ABOVE = re.compile(r"^(bộ |văn phòng chính phủ|tt\. |thường trực )", re.IGNORECASE)


def _keep(plan: Plan) -> str:
    return f"Lưu: VT, {_drafting_unit(plan)}"


def report_recipients(plan: Plan) -> list[str]:
    """Nơi nhận of a BÁO CÁO sent up: the bodies above and the leaders of the plan's list, Lưu."""
    chosen = [x for x in _recipients(plan) if not x.startswith("Lưu") and (_ABOVE.match(x) or _LEADERS.search(x))]
    return [*(chosen or ["Bộ Nội vụ"]), _keep(plan)]


def reminder_recipients(plan: Plan) -> list[str]:
    """Nơi nhận of a công văn đôn đốc: "Như trên", the leaders to inform (not the bodies above), Lưu."""
    leaders = [x for x in _recipients(plan) if not x.startswith("Lưu") and _LEADERS.search(x) and not _ABOVE.match(x)]
    return ["Như trên", *leaders, _keep(plan)]


def _short(text: object, limit: int = RESULT_CHARS) -> str:
    t = " ".join(str(text or "").split()).rstrip(" .;")
    return t if len(t) <= limit else t[: limit - 1].rsplit(" ", 1)[0] + "…"


def _decimal(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def _classes_sentence(c, subject: str = "Tổng số") -> str:
    return (
        f"{subject} {c.tasks} nhiệm vụ: hoàn thành đúng hạn {c.on_time}, hoàn thành quá hạn {c.late}, "
        f"đang thực hiện trong hạn {c.in_progress}, quá hạn chưa hoàn thành {c.overdue}; "
        f"tỷ lệ hoàn thành {_decimal(c.pct)}%, đúng hạn {_decimal(c.pct_on_time)}%"
    )


def chart(st: StatusFigures, path: Path) -> Path:
    """A stacked bar chart of each field's tasks by class, a value on every segment, a legend of
    the classes present only. Its caption is in the document ("Biểu đồ 1. …")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [_wrap(c.label, 34) for c in st.fields]
    series = chart_series(st)
    fig = Figure(figsize=(8, 0.55 * len(labels) + 1.6), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    left = [0] * len(labels)
    for name, values in series:
        bars = ax.barh(labels, values, left=left, label=name, color=COLOURS[name])
        ax.bar_label(
            bars,
            labels=[str(v) if v else "" for v in values],
            label_type="center",
            color="black" if name == LATE else "white",
            fontsize=8,
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("Số nhiệm vụ")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    return path


def chart_series(st: StatusFigures) -> list[tuple[str, list[int]]]:
    """The classes the chart draws, each with its count by field: only those with a task
    (a class with none would be an empty legend entry)."""
    series = [
        (name, [getattr(c, attr) for c in st.fields])
        for name, attr in ((ON_TIME, "on_time"), (LATE, "late"), (IN_PROGRESS, "in_progress"), (OVERDUE, "overdue"))
    ]
    return [(name, values) for name, values in series if any(values)]


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
    """(context, images, warnings) for bao-cao and don-doc; the master is read once."""
    master, plan = m.path, m.plan
    # while Tổng hợp is read: the assignments the figures follow, the libraries that write Word
    records = m.records_alongside(lambda: build_assignments(plan), *(_IMPORTS if kind == "bao-cao" else ()))
    st = compute_status(
        plan, records.summary, period or latest_period(records, master), as_of or times.today(), records.returns
    )
    names = {u.code: u.name for u in plan.units}
    if unit and unit not in names:
        raise CcpkhError(f"Không có đơn vị mã {unit} trong sheet Đơn vị.", master)
    ctx = _common(plan, st)
    if kind == "bao-cao":
        rows, present = read_assessment(m)
        return _report(plan, st, records, names, unit, ctx, tmp, rows, present)
    return reminder_context(plan, st, names, unit, ctx), {}, []


def _import(name: str):
    return lambda: importlib.import_module(name)


# not matplotlib: its memory would add to the peak of reading Tổng hợp
_IMPORTS = tuple(map(_import, ("docxtpl", "docx")))


def _common(plan: Plan, st: StatusFigures) -> dict:
    ctx = base_context(plan)
    # a report or a letter is dated when it is signed: the date is left for the signing day
    ctx["dia_danh_ngay"] = nd30.date_line(str(plan.info.get("Địa danh") or ""), None, st.as_of.year)
    ctx["ky"] = st.period
    ctx["ngay_tinh"] = f"{st.as_of:%d/%m/%Y}"
    ctx["ke_hoach"] = document_reference(plan)
    return ctx


def _paras(texts: list[str], section: outline.Section | None) -> list[dict]:
    """The clerk's paragraphs, or the marked placeholder when a required section is empty."""
    if texts:
        return [{"text": t, "mark": False} for t in texts]
    if section is not None and section.required:
        return [{"text": outline.placeholder(section), "mark": True}]
    return []


def _report(plan, st, records, names, unit, ctx, tmp, assessment_rows, present):
    warnings: list[str] = []
    if unit:
        # a unit's own report: the tasks it leads, judged by its own rows alone
        mine = {a.task for a in build_assignments(plan) if a.unit == unit and a.role == LEAD}
        plan = Plan(
            info=plan.info,
            units=[u for u in plan.units if u.code == unit],
            tasks=[t for t in plan.tasks if t.code in mine],
        )
        st = compute_status(plan, [r for r in records.summary if r.unit == unit], st.period, st.as_of, records.returns)
    images = _chart_alongside(st, tmp / "bieu_do.png")  # drawn while the rest is written
    written = outline.assessments(assessment_rows, st.period)
    if not present:
        warnings.append(
            f"Sổ chưa có sheet «{outline.SHEET}»: các phần đánh giá để câu mẫu đánh dấu {outline.PLACEHOLDER_MARK}. "
            "Để ghi các phần này, thêm vào sổ sheet «Đánh giá» có ba cột Kỳ báo cáo, Mục, Nội dung "
            "(sổ tạo bằng 'ccpkh-excel init' có sẵn sheet này)."
        )
    field_of = {t.code: (t.field or NO_FIELD) for t in plan.tasks}
    # each task's lead units, as the figures found them (not the assignments gone through again)
    lead_sets = {s.code: set(s.units) for s in st.tasks}
    # one pass over the rows of the period: completed results by (field, unit), difficulties, proposals
    done_by: dict[str, dict[str, list]] = {}  # field → unit → [count done, first three (task, result)]
    difficulties: dict[str, str] = {}
    proposals: dict[str, str] = {}
    single_result: dict[str, str] = {}
    n_rows = 0
    single = {code for code, owners in lead_sets.items() if len(owners) == 1}
    label = st.period
    for r in records.summary:
        if (r.period != label and str(r.period) != label) or (unit and r.unit != unit):
            continue
        n_rows += 1
        task = r.task
        f = field_of.get(task)
        if f is None:
            continue
        u = r.unit
        if r.role == LEAD and u in lead_sets.get(task, ()):
            if r.status == DONE:
                per = done_by.get(f)
                if per is None:
                    per = done_by[f] = {}
                entry = per.get(u)
                if entry is None:
                    entry = per[u] = [0, []]
                entry[0] += 1
                if len(entry[1]) < 3:
                    entry[1].append((task, str(r.result or "")))
            if r.result and task in single:
                single_result[task] = str(r.result)
        if r.difficulty and u not in difficulties and len(difficulties) < MAX_UNIT_LINES:
            difficulties[u] = str(r.difficulty)
        if r.proposal and u not in proposals and len(proposals) < MAX_UNIT_LINES:
            proposals[u] = str(r.proposal)
    if not n_rows:
        warnings.append(f"Chưa có số liệu nào của kỳ {st.period} trong Tổng hợp: báo cáo chỉ có khung.")
    t = st.total
    units_n = len(st.units)
    yearly = outline.is_yearly(st.period)
    nxt = next_period(st.period)
    # I. Công tác chỉ đạo, điều hành
    returned = units_n - len(st.missing) if not unit else units_n
    plan_line = (
        f"Thực hiện {ctx['ke_hoach']}, {t.tasks} nhiệm vụ được giao cho {units_n} cơ quan, đơn vị chủ trì. "
        f"Kỳ này {returned}/{units_n} đơn vị đã gửi báo cáo kết quả thực hiện"
        + (f"; {len(st.missing)} đơn vị chưa gửi." if st.missing and not unit else ".")
    )
    chi_dao = []
    for i, sec in enumerate(outline.CHI_DAO, start=1):
        paras = ([{"text": plan_line, "mark": False}] if i == 1 else []) + _paras(written.get(sec.key, []), sec)
        chi_dao.append({"title": f"{i}. {_section_title(sec.key)}", "paras": paras})
    # II. Kết quả thực hiện, by field in the plan's order
    status = {s.code: s for s in st.tasks}
    fields = []
    for i, c in enumerate(st.fields, start=1):
        by_unit = done_by.get(c.label, {})
        lines = []
        for code, (count, items) in list(by_unit.items())[:MAX_UNIT_LINES]:
            shown = "; ".join(f"{task}: {_short(res) or 'hoàn thành'}" for task, res in items)
            more = f" và {count - len(items)} nhiệm vụ khác" if count > len(items) else ""
            lines.append(f"{names.get(code, code)} hoàn thành {count} nhiệm vụ ({shown}{more})")
        if len(by_unit) > MAX_UNIT_LINES:
            lines.append(f"{len(by_unit) - MAX_UNIT_LINES} đơn vị khác hoàn thành nhiệm vụ (chi tiết tại Phụ lục I)")
        behind = [s for s in st.tasks if s.field == c.label and s.status in (LATE, OVERDUE)]
        fields.append(
            {
                "title": f"{i}. {c.label}",
                "so_lieu": _classes_sentence(c) + ".",
                "ket_qua": dashes(lines),
                "cham": dashes([_task_line(s, names) for s in behind[:MAX_TASK_LINES]])
                + (
                    [f"(và {len(behind) - MAX_TASK_LINES} nhiệm vụ khác, xem Phụ lục I)"]
                    if len(behind) > MAX_TASK_LINES
                    else []
                ),
                "them": written.get(c.label, []),
            }
        )
    # III. Đánh giá chung
    perfect = len([1 for _, c in st.units if c.tasks and c.on_time == c.tasks])
    computed = {
        "Ưu điểm": [
            f"Tỷ lệ hoàn thành {_decimal(t.pct)}% ({t.on_time + t.late}/{t.tasks} nhiệm vụ), "
            f"hoàn thành đúng hạn {_decimal(t.pct_on_time)}%."
            + (f" {perfect} đơn vị hoàn thành đúng hạn tất cả nhiệm vụ được giao." if perfect else "")
        ],
        "Tồn tại, hạn chế": [
            x
            for x in (
                "Còn "
                + ", ".join(
                    x
                    for x in (
                        f"{t.overdue} nhiệm vụ quá hạn chưa hoàn thành" if t.overdue else "",
                        f"{t.late} nhiệm vụ hoàn thành quá hạn" if t.late else "",
                    )
                    if x
                )
                + "."
                if t.overdue or t.late
                else "",
                f"Còn {len(st.missing)} đơn vị chưa gửi báo cáo: {', '.join(n for _, n in st.missing[:MAX_UNIT_LINES])}"
                + (f" và {len(st.missing) - MAX_UNIT_LINES} đơn vị khác" if len(st.missing) > MAX_UNIT_LINES else "")
                + "."
                if st.missing and not unit
                else "",
            )
            if x
        ],
    }
    hard = [f"{names.get(u, u)}: {_short(x)}" for u, x in list(difficulties.items())[:MAX_UNIT_LINES]]
    danh_gia = []
    for i, sec in enumerate(outline.DANH_GIA, start=1):
        paras = [{"text": x, "mark": False} for x in computed.get(sec.key, [])]
        paras += _paras(written.get(sec.key, []), sec)
        lines = dashes(hard) if sec.key == "Tồn tại, hạn chế" and hard else []
        danh_gia.append(
            {
                "title": f"{i}. {sec.key}",
                "paras": paras,
                "lines": lines,
                "lines_head": "Khó khăn, vướng mắc các đơn vị nêu:" if lines else "",
            }
        )
    # IV. Phương hướng, nhiệm vụ kỳ tới: tasks due next period, overdue tasks to finish, the clerk's own
    finished = {s.code for s in st.tasks if s.status in (ON_TIME, LATE)}
    due_next = [x for x in tasks_due_in(plan, nxt.start, nxt.end) if x.code not in finished]
    overdue = st.overdue
    phuong_huong = {
        "title": f"IV. PHƯƠNG HƯỚNG, NHIỆM VỤ {_next_label(st.period, nxt).upper()}",
        "mo_dau": (
            f"Tập trung thực hiện {len(due_next)} nhiệm vụ đến hạn trong {_next_label(st.period, nxt)} "
            f"(từ {nxt.start:%d/%m/%Y} đến {nxt.end:%d/%m/%Y})"
            + (f" và {len(overdue)} nhiệm vụ đã quá hạn chưa hoàn thành" if overdue else "")
            + (":" if due_next or overdue else ".")
        ),
        "den_han": dashes(
            [
                _task_line(status[x.code], names, with_status=False)
                for x in due_next[:MAX_TASK_LINES]
                if x.code in status
            ]
            + [_task_line(s, names) for s in overdue[:MAX_TASK_LINES]]
        ),
        "paras": _paras(written.get(outline.PHUONG_HUONG.key, []), outline.PHUONG_HUONG),
    }
    # V. Đề xuất, kiến nghị: the clerk's, then what the units proposed
    de_xuat = _paras(written.get(outline.DE_XUAT.key, []), outline.DE_XUAT)
    unit_proposals = dashes([f"{names.get(u, u)}: {_short(x)}" for u, x in list(proposals.items())[:MAX_UNIT_LINES]])
    suffix = _suffix(plan)
    who = signing_authority(plan)
    ctx.update(
        {
            "so_ky_hieu": f"      /BC-{suffix}",
            "trich_yeu": f"Kết quả thực hiện công tác cải cách hành chính {st.period}",
            "mo_dau": (
                f"Thực hiện {ctx['ke_hoach']}, {ctx['co_quan_ban_hanh']} báo cáo kết quả thực hiện công tác cải cách "
                f"hành chính {st.period} (số liệu tính đến ngày {ctx['ngay_tinh']}) như sau:"
            ),
            "chi_dao": chi_dao,
            "tong_cau": _classes_sentence(t)
            + ". Chi tiết theo lĩnh vực, theo đơn vị và xếp hạng đơn vị tại Phụ lục II.",
            "bieu_do_chu": f"Biểu đồ 1. Tình hình thực hiện nhiệm vụ theo lĩnh vực, {st.period}",
            "linh_vuc": fields,
            "danh_gia": danh_gia,
            "danh_gia_nam": yearly,
            "phuong_huong": phuong_huong,
            "de_xuat": de_xuat,
            "de_xuat_don_vi": unit_proposals,
            "phu_luc_ten": f"Tổng hợp kết quả thực hiện nhiệm vụ {st.period}",
            "phu_luc_2_ten": f"Số liệu thực hiện nhiệm vụ theo lĩnh vực, theo đơn vị chủ trì và xếp hạng {st.period}",
            "kem_theo": f"Kèm theo Báo cáo số      /BC-{suffix} ngày      tháng      năm {st.as_of.year} của {who}".rstrip(),
            "doan_ket": (
                f"Trên đây là báo cáo kết quả thực hiện công tác cải cách hành chính {st.period} của "
                f"{ctx['co_quan_ban_hanh']}./."
            ),
            "noi_nhan": report_recipients(plan),
        }
    )
    ctx["rows"] = [_task_row(i, tk, status.get(tk.code), single_result, names) for i, tk in enumerate(plan.tasks, 1)]
    ctx["bang_linh_vuc"] = [_count_row(str(i), c) for i, c in enumerate(st.fields, 1)] + [_count_row("", t)]
    # by lead unit, in the order of the ranking: one table (a province's thousands of communes once)
    ctx["xep_hang"] = [
        {
            "rank": str(r.rank),
            "name": r.name,
            "tasks": str(r.counts.tasks),
            "on_time": str(r.counts.on_time),
            "late": str(r.counts.late),
            "in_progress": str(r.counts.in_progress),
            "overdue": str(r.counts.overdue),
            "pct_done": _decimal(r.counts.pct),
            "pct": _decimal(r.counts.pct_on_time),
        }
        for r in st.ranking()
    ]
    ctx["bieu_do"] = ""
    return ctx, images(), warnings


def _chart_alongside(st: StatusFigures, path: Path) -> Callable[[], dict[str, Path]]:
    """Start drawing the chart in a forked child process (Linux, this process on one thread:
    importing matplotlib and drawing take about as long as the rest of the report's text);
    the function returned waits for it and gives the images. Where there is no such child,
    or it failed, the chart is drawn here then (its error, if any, raised here)."""
    if not st.fields:
        return dict
    pid = None
    if sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1:
        try:
            pid = os.fork()
        except OSError:
            pid = None
        if pid == 0:  # the child: draw, say how it went, never return into the caller's code
            code = 1
            try:
                gc.freeze()  # the parent's objects left alone: their pages stay shared
                chart(st, path)
                code = 0
            except BaseException:  # noqa: BLE001, S110 - the parent draws again and reports
                pass
            finally:
                os._exit(code)

    def finish() -> dict[str, Path]:
        if pid is not None:
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) == 0 and path.exists():
                return {"bieu_do": path}
        return {"bieu_do": chart(st, path)}

    return finish


def _section_title(key: str) -> str:
    return {
        "Kế hoạch": "Công tác kế hoạch",
        "Kiểm tra": "Công tác kiểm tra",
        "Tuyên truyền": "Công tác tuyên truyền",
        "Sáng kiến": "Sáng kiến, mô hình mới trong cải cách hành chính",
    }.get(key, key)


def _next_label(period: str, nxt) -> str:
    if outline.is_yearly(period):
        return f"năm {nxt.end.year}"
    return nxt.label if nxt.label.startswith("Quý") else nxt.label[0].lower() + nxt.label[1:]


def _task_line(s, names: dict[str, str], with_status: bool = True) -> str:
    due = f"hạn {s.due:%d/%m/%Y}" if s.due else "thường xuyên"
    units = ", ".join(names.get(u, u) for u in s.units[:3]) + (
        f" và {len(s.units) - 3} đơn vị khác" if len(s.units) > 3 else ""
    )
    state = f"; {s.status[0].lower()}{s.status[1:]}" if with_status else ""
    return f"{s.code} – {_short(s.content, 200)} ({due}; chủ trì: {units or 'chưa phân công'}{state})"


def _task_row(i: int, tk, s, single_result: dict[str, str], names) -> dict:
    if s is None:
        result = ""
    elif s.leads <= 1:
        result = single_result.get(tk.code, "")
    else:
        result = f"{s.done}/{s.leads} đơn vị chủ trì đã hoàn thành; {s.reported} đơn vị đã báo cáo."
    return {
        "group": False,
        "stt": str(i),
        "code": tk.code,
        "content": tk.content,
        "lead": tk.lead,
        "status": s.status if s else "",
        "result": result,
        "deadline": tk.deadline,
    }


def _count_row(stt: str, c) -> dict:
    return {
        "stt": stt,
        "label": c.label,
        "tasks": str(c.tasks),
        "on_time": str(c.on_time),
        "late": str(c.late),
        "in_progress": str(c.in_progress),
        "overdue": str(c.overdue),
        "pct": _decimal(c.pct),
    }


# --- công văn đôn đốc ------------------------------------------------------------------------------
def reminder_context(plan: Plan, st: StatusFigures, names: dict[str, str], unit: str | None, ctx: dict) -> dict:
    """A công văn đôn đốc to the units behind (or to `unit` alone): for each, its tasks not
    reported or overdue (code, content, due date); a reply deadline; Nơi nhận for a công văn."""
    dues = {t.code: t for t in plan.tasks}
    addressed = []
    missing = {c for c, _ in st.missing}
    for code in [unit] if unit else units_behind(st):
        items = st.by_unit.get(code, [])
        behind = [(task, cls, rep) for task, cls, rep in items if cls == OVERDUE or not rep]
        lines = []
        if code in missing:
            lines.append(f"Chưa gửi phiếu báo cáo kết quả thực hiện nhiệm vụ {st.period}")
        for task, cls, _ in behind[:MAX_TASK_LINES]:
            t = dues.get(task)
            due = f"hạn {t.due:%d/%m/%Y}" if t and t.due else "thường xuyên"
            what = "quá hạn, chưa hoàn thành" if cls == OVERDUE else "chưa báo cáo"
            lines.append(f"{task} – {_short(t.content if t else '', 200)} ({due}; {what})")
        if len(behind) > MAX_TASK_LINES:
            lines.append(f"và {len(behind) - MAX_TASK_LINES} nhiệm vụ khác")
        if not lines:
            lines.append(f"Không còn nhiệm vụ chưa báo cáo hoặc quá hạn trong {st.period}")
        addressed.append({"code": code, "name": names.get(code, code), "tasks": dashes(lines)})
    han_moi = st.as_of + timedelta(days=7)
    ctx.update(
        {
            "so_ky_hieu": f"      /{_suffix(plan)}-{_drafting_unit(plan)}",
            "trich_yeu": f"đôn đốc báo cáo và thực hiện nhiệm vụ cải cách hành chính {st.period}",
            "kinh_gui": [d["name"] for d in addressed] or ["Các cơ quan, đơn vị"],
            "don_vi": addressed,
            "mot_don_vi": len(addressed) == 1,
            "han_moi": f"{han_moi:%d/%m/%Y}",
            "noi_nhan": reminder_recipients(plan),
        }
    )
    return ctx


def units_behind(st: StatusFigures) -> list[str]:
    """The units a công văn đôn đốc is for: not returned, or with a task overdue or not reported."""
    missing = [c for c, _ in st.missing]
    behind = [c for c, items in st.by_unit.items() if any(cl == OVERDUE or not rep for _, cl, rep in items)]
    return list(dict.fromkeys(missing + behind))


__all__ = ["chart", "reminder_context", "report_context", "units_behind"]
