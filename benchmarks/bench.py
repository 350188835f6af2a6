"""Speed and memory of `generate` and `merge` against naive openpyxl baselines.

A synthetic province: N units (default 1,000) with 30 tasks each. Each measurement runs in
its own process so its peak memory (max RSS) is its own. Usage:

    python benchmarks/bench.py            # 100 and 1,000 units, prints a Markdown table
    python benchmarks/bench.py --units 1000 --only merge

The naive baselines do the same work the obvious way: openpyxl writes each report workbook
(same sheets, styles, validation, protection); openpyxl reads each return and writes Tổng hợp
into the master.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

TASKS = 30


def build_master(folder: Path, n_units: int) -> Path:
    from ccpkh_excel.domain.plan import Plan, Task, apply_deadline, number_tasks
    from ccpkh_excel.domain.sample import INFO
    from ccpkh_excel.domain.units import Unit
    from ccpkh_excel import write_plan

    units = [
        Unit(f"DV{i:04d}", f"Đơn vị thử nghiệm số {i}", [], ["Tất cả đơn vị"], f"dv{i}@tinh.example")
        for i in range(1, n_units + 1)
    ]
    quarters = ["Quý I/2026", "Quý II/2026", "Quý III/2026", "Quý IV/2026", "Năm 2026", "Thường xuyên"]
    tasks = [
        Task(
            stt=str(k),
            field=f"Lĩnh vực {k % 6 + 1}",
            content=f"Nhiệm vụ thử nghiệm số {k}: triển khai, kiểm tra và báo cáo kết quả thực hiện",
            lead="Tất cả đơn vị",
            deadline=quarters[k % 6],
        )
        for k in range(1, TASKS + 1)
    ]
    plan = Plan(info=dict(INFO), units=units)
    plan.tasks = number_tasks([apply_deadline(t, 2026)[0] for t in tasks])
    master = folder / "so.xlsx"
    write_plan(plan, master)
    return master


def naive_generate(master: Path, out: Path) -> int:
    """One openpyxl workbook per unit, built cell by cell: the plain way."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    from ccpkh_excel.domain.plan import build_assignments
    from ccpkh_excel.features.forms import FORM_HEADERS, GUIDE, STATUSES
    from ccpkh_excel import read_plan

    plan = read_plan(master)
    tasks = {t.code: t for t in plan.tasks}
    by_unit: dict[str, list] = {}
    for a in build_assignments(plan):
        by_unit.setdefault(a.unit, []).append(a)
    out.mkdir(parents=True, exist_ok=True)
    for u in plan.units:
        wb = Workbook()
        ws = wb.active
        ws.title = "Báo cáo"
        for r in range(1, 7):
            ws.cell(row=r, column=1, value=f"Dòng tiêu đề {r} {u.name}").font = Font(bold=r == 1)
        ws.append(list(FORM_HEADERS))
        for a in by_unit.get(u.code, []):
            t = tasks[a.task]
            ws.append([t.code, t.stt, t.content, a.role, t.deadline, "", None, "", "", "", t.due])
            for c in range(6, 11):
                ws.cell(row=ws.max_row, column=c).protection = Protection(locked=False)
        dv = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"')
        dv.add(f"F8:F{ws.max_row}")
        ws.add_data_validation(dv)
        ws.protection.sheet = True
        g = wb.create_sheet("Hướng dẫn")
        for line in GUIDE:
            g.append([line])
        m = wb.create_sheet("_ccpkh")
        m.append(["unit", u.code])
        m.sheet_state = "veryHidden"
        wb.save(out / f"{u.code}.xlsx")
    return len(plan.units)


def naive_merge(master: Path, files: list[Path]) -> int:
    """openpyxl reads every return; openpyxl writes Tổng hợp into the master."""
    from openpyxl import load_workbook

    rows = []
    for f in files:
        wb = load_workbook(f, read_only=True, data_only=True)
        meta = {r[0]: r[1] for r in wb["_ccpkh"].iter_rows(values_only=True)}
        for r in wb["Báo cáo"].iter_rows(min_row=8, values_only=True):
            if not r[0]:
                break
            rows.append([r[0], meta["unit"], "", r[3], meta["period"], *r[5:10], datetime.now(), f.name])
        wb.close()
    wb = load_workbook(master)
    ws = wb["Tổng hợp"]
    for row in rows:
        ws.append(row)
    wb.save(master)
    return len(rows)


def fill_returns(sent: Path, received: Path) -> list[Path]:
    """Copies of the generated files with every status typed in (XML edit: setup, not timed)."""
    import zipfile

    received.mkdir(parents=True, exist_ok=True)
    out = []
    for f in sorted(sent.glob("*.xlsx")):
        with zipfile.ZipFile(f) as z:
            parts = {i.filename: z.read(i) for i in z.infolist()}
        name = "xl/worksheets/sheet1.xml"
        xml = parts[name].decode()
        xml = re.sub(
            r'<c r="F(\d+)" s="(\d+)"/>',
            lambda m: (
                f'<c r="F{m.group(1)}" s="{m.group(2)}" t="inlineStr"><is><t>Đang thực hiện</t></is></c>'
                if int(m.group(1)) < 8 + TASKS
                else m.group(0)
            ),
            xml,
        )
        parts[name] = xml.encode()
        target = received / f.name
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for k, v in parts.items():
                z.writestr(k, v)
        out.append(target)
    return out


def one(kind: str, n_units: int, work: Path) -> dict:
    """Run one measurement in this process (called in a child process)."""
    from ccpkh_excel.features.forms import generate
    from ccpkh_excel.features.merging import merge_returns

    master = work / "so.xlsx"
    t0 = time.perf_counter()
    if kind == "generate":
        generate(master, "Quý I/2026", work / "gui", now=datetime(2026, 3, 25))
    elif kind == "naive_generate":
        naive_generate(master, work / "gui_naive")
    elif kind == "merge":
        rep = merge_returns(master, [work / "nhan"], now=datetime(2026, 4, 10))
        assert all(f.outcome == "Đã tổng hợp" for f in rep.files), [f.reason for f in rep.files][:3]
    elif kind == "naive_merge":
        naive_merge(master, sorted((work / "nhan").glob("*.xlsx")))
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kind": kind, "units": n_units, "seconds": round(seconds, 3), "peak_mb": round(peak_mb, 1)}


def run_child(kind: str, n_units: int, work: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--units", str(n_units), "--work", str(work)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def scenario(n_units: int, only: str | None) -> list[dict]:
    from ccpkh_excel.features.forms import generate

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        master = build_master(base, n_units)
        pristine = base / "so_goc.xlsx"
        shutil.copy(master, pristine)
        if only in (None, "generate"):
            results.append(run_child("generate", n_units, base))
            results.append(run_child("naive_generate", n_units, base))
        if only in (None, "merge"):
            shutil.copy(pristine, master)
            shutil.rmtree(base / "gui", ignore_errors=True)
            generate(master, "Quý I/2026", base / "gui", now=datetime(2026, 3, 25))
            fill_returns(base / "gui", base / "nhan")
            sent_master = base / "so_da_gui.xlsx"
            shutil.copy(master, sent_master)
            results.append(run_child("merge", n_units, base))
            shutil.copy(sent_master, master)
            results.append(run_child("naive_merge", n_units, base))
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, nargs="*", default=[100, 1000])
    ap.add_argument("--only", choices=["generate", "merge"])
    ap.add_argument("--child")
    ap.add_argument("--work", type=Path)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one(args.child, args.units[0], args.work)))
        return
    rows = []
    for n in args.units:
        rows.extend(scenario(n, args.only))
    by = {(r["kind"], r["units"]): r for r in rows}
    print(f"Benchmark {date.today():%d/%m/%Y}, {TASKS} tasks per unit, Python {sys.version.split()[0]}\n")
    print("| units | step | ccpkh-excel (s) | naive openpyxl (s) | speed-up | peak MB (ours) | peak MB (naive) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n in args.units:
        for step in ("generate", "merge"):
            a, b = by.get((step, n)), by.get((f"naive_{step}", n))
            if a and b:
                print(
                    f"| {n} | {step} | {a['seconds']:.2f} | {b['seconds']:.2f} | {b['seconds'] / a['seconds']:.1f}× | {a['peak_mb']:.0f} | {b['peak_mb']:.0f} |"
                )


if __name__ == "__main__":
    main()
