"""`status`: where the plan stands for a period — the figures by field and by lead unit, the
units that have not returned their forms, the overdue tasks — and the same figures as pandas
tables for exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ccpkh_excel.domain import times
from ccpkh_excel.domain.plan import build_assignments
from ccpkh_excel.domain.status import (
    IN_PROGRESS,
    LATE,
    NOT_REPORTED,
    ON_TIME,
    OVERDUE,
    StatusFigures,
    compute_status,
    latest_period,
)
from ccpkh_excel.errors import MasterError
from ccpkh_excel.store.master import Master

if TYPE_CHECKING:
    import pandas as pd


def read_status(master: Master | Path, period: str | None = None, as_of: date | None = None) -> StatusFigures:
    """Status from the master; the period defaults to the latest one with records."""
    m = master if isinstance(master, Master) else Master.read(master)
    if not m.exists:
        raise MasterError("không tìm thấy tệp. Hãy tạo bằng lệnh 'ccpkh-excel init'.", m.path)
    plan = m.plan
    records = m.records_alongside(lambda: build_assignments(plan))  # the assignments while Tổng hợp is read
    period = period or latest_period(records, m.path)
    return compute_status(plan, records.summary, period, as_of or times.today(), records.returns)


FIELD_COLUMNS = {
    "label": "Lĩnh vực",
    "tasks": "Số nhiệm vụ",
    "on_time": ON_TIME,
    "late": LATE,
    "in_progress": IN_PROGRESS,
    "overdue": OVERDUE,
    "rest": NOT_REPORTED,
    "pct": "Tỷ lệ hoàn thành (%)",
}
UNIT_COLUMNS = {**FIELD_COLUMNS, "label": "Tên đơn vị", "tasks": "Số nhiệm vụ chủ trì"}
RANK_COLUMNS = {
    "rank": "Xếp hạng",
    "code": "Mã đơn vị",
    "name": "Tên đơn vị",
    "tasks": "Số nhiệm vụ được giao",
    "on_time": ON_TIME,
    "late": LATE,
    "overdue": OVERDUE,
    "pct_on_time": "Tỷ lệ đúng hạn (%)",
}
TASK_COLUMNS = {
    "code": "Mã NV",
    "field": "Lĩnh vực",
    "content": "Nội dung công việc",
    "due": "Hạn hoàn thành",
    "leads": "Số đơn vị chủ trì",
    "done": "Đã hoàn thành",
    "late": "Hoàn thành trễ",
    "reported": "Đã báo cáo",
    "status": "Trạng thái chung",
}
SHEET_NAMES = {
    "fields": "Theo lĩnh vực",
    "units": "Theo đơn vị chủ trì",
    "ranking": "Xếp hạng đơn vị",
    "tasks": "Từng nhiệm vụ",
}


def status_frames(st: StatusFigures) -> dict[str, pd.DataFrame]:
    """The figures as pandas tables with Vietnamese headers: by field (with the total row),
    by lead unit (with its code) and task by task."""
    import pandas as pd

    def counts(rows, columns):
        data = [{k: (c.pct if k == "pct" else getattr(c, k)) for k in columns} for c in rows]
        return pd.DataFrame(data, columns=list(columns)).rename(columns=columns)

    fields = counts([*st.fields, st.total], FIELD_COLUMNS)
    units = counts([c for _, c in st.units], UNIT_COLUMNS)
    units.insert(0, "Mã đơn vị", [code for code, _ in st.units])
    tasks = pd.DataFrame([{k: getattr(t, k) for k in TASK_COLUMNS} for t in st.tasks], columns=list(TASK_COLUMNS))
    ranking = pd.DataFrame(
        [
            {
                "rank": r.rank,
                "code": r.code,
                "name": r.name,
                "tasks": r.counts.tasks,
                "on_time": r.counts.on_time,
                "late": r.counts.late,
                "overdue": r.counts.overdue,
                "pct_on_time": r.counts.pct_on_time,
            }
            for r in st.ranking()
        ],
        columns=list(RANK_COLUMNS),
    ).rename(columns=RANK_COLUMNS)
    return {"fields": fields, "units": units, "ranking": ranking, "tasks": tasks.rename(columns=TASK_COLUMNS)}


def export_status(st: StatusFigures, path: Path) -> list[Path]:
    """Write the figures to `path`: .xlsx (one sheet a table) or .csv (one file a table,
    UTF-8 with BOM so Excel shows the diacritics). Returns the files written."""
    import pandas as pd

    from ccpkh_excel.errors import CcpkhError

    path = Path(path)
    frames = status_frames(st)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for key, frame in frames.items():
                frame.to_excel(xw, sheet_name=SHEET_NAMES[key], index=False)
        return [path]
    if suffix == ".csv":
        written = []
        for key, frame in frames.items():
            target = path.with_name(f"{path.stem}_{key}.csv")
            frame.to_csv(target, index=False, encoding="utf-8-sig")
            written.append(target)
        return written
    raise CcpkhError("chỉ xuất được .xlsx hoặc .csv.", path)
