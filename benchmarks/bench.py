"""Speed and memory of every command on a synthetic province, against naive baselines.

A synthetic province: N units (default 1,000), T tasks (default 30), every task led by the
group "Tất cả đơn vị", so every unit has T rows and the master N × T assignments. Each
measurement runs in its own process: wall time is taken around the process (interpreter start
and imports included, as a clerk sees them) and peak memory is that process's own max RSS.

Steps, in order (each on the master the previous one left):

    build          write_plan of the synthetic plan (library call)
    check          ccpkh-excel check
    generate       ccpkh-excel generate --period "Quý I/2026"
    floor          python-calamine reading every return (Báo cáo and _ccpkh), nothing else
    merge          ccpkh-excel merge (returns with every status typed in)
    status         ccpkh-excel status --period "Quý I/2026"
    report         ccpkh-excel report --kind bao-cao (Word, no PDF)
    naive_generate openpyxl writes each report workbook (same sheets, styles, validation, protection)
    naive_merge    openpyxl reads each return and writes Tổng hợp into the master

Usage:

    python benchmarks/bench.py                         # 1,000 units × 30 tasks, every step
    python benchmarks/bench.py --units 100 1000        # several sizes
    python benchmarks/bench.py --national              # 3,400 units × 100 tasks, no naive baselines
    python benchmarks/bench.py --only build check      # some steps (their set-up still runs, untimed)
    python benchmarks/bench.py --only merge --naive    # merge and the naive baselines
    python benchmarks/bench.py --late                  # returns saved after the due date: every file warned
    python benchmarks/bench.py --timeout 600           # stop a step after 600 s (the default) and go on
    python benchmarks/bench.py --profile prof/         # cProfile each step into prof/<step>_<N>x<T>.prof
    python benchmarks/bench.py --keep work/            # keep the files (master, forms, returns)

The naive baselines run by default except with --national or --only (then ask with --naive).
Speed goals are ratios against the floor measured in the same run (merge / floor), never
absolute times in unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a fresh checkout runs without installing the package
    sys.path.insert(0, str(ROOT))

TASKS = 30
UNITS = 1000
NATIONAL = (3400, 100)
PERIOD = "Quý I/2026"
STEPS = ("build", "check", "generate", "floor", "merge", "status", "report")
NAIVE = ("naive_generate", "naive_merge")
CLI = [sys.executable, "-m", "ccpkh_excel.frontends.cli"]


# --- the synthetic province ------------------------------------------------------------------
def synthetic_plan(n_units: int, n_tasks: int, fields: list[str] | None = None):
    """Units DV0001…, tasks for every unit by group, deadlines spread over the year (`fields`: six
    Lĩnh vực names; "Lĩnh vực 1…6" by default)."""
    from ccpkh_excel.domain.plan import Plan, Task, apply_deadline, number_tasks
    from ccpkh_excel.domain.sample import INFO
    from ccpkh_excel.domain.units import Unit

    units = [
        Unit(f"DV{i:04d}", f"Đơn vị thử nghiệm số {i}", [], ["Tất cả đơn vị"], f"dv{i}@tinh.example")
        for i in range(1, n_units + 1)
    ]
    quarters = ["Quý I/2026", "Quý II/2026", "Quý III/2026", "Quý IV/2026", "Năm 2026", "Thường xuyên"]
    tasks = [
        Task(
            stt=str(k),
            field=fields[k % 6] if fields else f"Lĩnh vực {k % 6 + 1}",
            content=f"Nhiệm vụ thử nghiệm số {k}: triển khai, kiểm tra và báo cáo kết quả thực hiện",
            lead="Tất cả đơn vị",
            deadline=quarters[k % 6],
        )
        for k in range(1, n_tasks + 1)
    ]
    plan = Plan(info=dict(INFO), units=units)
    plan.tasks = number_tasks([apply_deadline(t, 2026)[0] for t in tasks])
    return plan


def build_master(folder: Path, n_units: int, n_tasks: int = TASKS) -> Path:
    from ccpkh_excel import write_plan

    plan = synthetic_plan(n_units, n_tasks)
    master = folder / "so.xlsx"
    write_plan(plan, master)
    return master


def fill_returns(sent: Path, received: Path, n_tasks: int = TASKS, late: bool = False) -> list[Path]:
    """Copies of the generated files with every status typed in and saved before the due date
    (after it with `late`: every file then carries a warning). XML edit: setup, not timed."""
    import zipfile

    saved = "2026-04-20T08:00:00Z" if late else "2026-04-01T08:00:00Z"  # Quý I/2026 is due 05/04/2026

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
                if int(m.group(1)) < 8 + n_tasks
                else m.group(0)
            ),
            xml,
        )
        parts[name] = xml.encode()
        parts["docProps/core.xml"] = re.sub(
            rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
            rb"\g<1>" + saved.encode() + rb"\g<2>",
            parts["docProps/core.xml"],
        )
        target = received / f.name
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for k, v in parts.items():
                z.writestr(k, v)
        out.append(target)
    return out


# --- the baselines -----------------------------------------------------------------------------
def calamine_floor(files: list[Path]) -> int:
    """Read what merge reads of every return (Báo cáo and _ccpkh) with python-calamine, nothing else."""
    from python_calamine import CalamineWorkbook

    cells = 0
    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in ("Báo cáo", "_ccpkh"):
            if name in wb.sheet_names:
                rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                cells += sum(len(r) for r in rows)
    return cells


def naive_generate(master: Path, out: Path) -> int:
    """One openpyxl workbook per unit, built cell by cell: the plain way."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    from ccpkh_excel import read_plan
    from ccpkh_excel.domain.plan import build_assignments
    from ccpkh_excel.features.forms import FORM_HEADERS, GUIDE, STATUSES

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


def child(kind: str, work: Path, n_units: int, n_tasks: int) -> dict:
    """One library-level measurement in this process (called in a child process)."""
    t0 = time.perf_counter()
    if kind == "build":
        build_master(work, n_units, n_tasks)
    elif kind == "floor":
        calamine_floor(sorted((work / "nhan").glob("*.xlsx")))
    elif kind == "naive_generate":
        naive_generate(work / "so_naive.xlsx", work / "gui_naive")
    elif kind == "naive_merge":
        naive_merge(work / "so_naive.xlsx", sorted((work / "nhan").glob("*.xlsx")))
    else:
        raise SystemExit(f"unknown step {kind}")
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"kind": kind, "inner_seconds": round(seconds, 3), "peak_mb": round(peak_mb, 1)}


# --- running one step in its own process ---------------------------------------------------------
def run_process(cmd: list[str], cwd: Path, timeout: float, log: Path) -> dict:
    """Run `cmd`; wall time around the process, its own peak RSS (os.wait4), killed after `timeout`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("COLUMNS", "150")
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env, start_new_session=True)
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),  # the largest process of the step (workers share its pages)
        "cpu": round(usage.ru_utime + usage.ru_stime, 3),  # with its worker processes: steadier on a busy machine
        "rc": p.returncode,
        "timeout": killed.is_set(),
        "stdout": log.with_suffix(".out").read_text(errors="replace"),
        "stderr": log.with_suffix(".err").read_text(errors="replace"),
    }


class Runner:
    def __init__(self, work: Path, n_units: int, n_tasks: int, timeout: float, profile: Path | None):
        self.work, self.n_units, self.n_tasks = work, n_units, n_tasks
        self.timeout, self.profile = timeout, profile
        self.size = f"{n_units}x{n_tasks}"
        (work / "logs").mkdir(parents=True, exist_ok=True)

    def _python(self, step: str) -> list[str]:
        if self.profile is None:
            return [sys.executable]
        self.profile.mkdir(parents=True, exist_ok=True)
        return [sys.executable, "-m", "cProfile", "-o", str(self.profile / f"{step}_{self.size}.prof")]

    def cli(self, step: str, args: list[str], ok=(0,)) -> dict:
        cmd = [*self._python(step), "-m", "ccpkh_excel.frontends.cli", *args]
        return self._run(step, cmd, ok)

    def lib(self, step: str) -> dict:
        args = ["--child", step, "--units", str(self.n_units), "--tasks", str(self.n_tasks), "--work", str(self.work)]
        return self._run(step, [*self._python(step), str(Path(__file__).resolve()), *args], (0,))

    def _run(self, step: str, cmd: list[str], ok) -> dict:
        print(f"  {self.size} {step} …", end="", file=sys.stderr, flush=True)
        r = run_process(cmd, self.work, self.timeout, self.work / "logs" / step)
        r.update(step=step, units=self.n_units, tasks=self.n_tasks)
        if r["timeout"]:
            r["error"] = f"stopped after {self.timeout:g} s"
        elif r["rc"] not in ok:
            tail = (r["stderr"].strip() or r["stdout"].strip()).splitlines()[-3:]
            r["error"] = f"exit {r['rc']}: " + " | ".join(tail)
        print(
            f" {r['seconds']:.2f} s, {r['peak_mb']:.0f} MB" + (f" ({r['error']})" if "error" in r else ""),
            file=sys.stderr,
        )
        return r


def scenario(
    n_units: int,
    n_tasks: int,
    steps: list[str],
    timeout: float,
    keep: Path | None,
    profile: Path | None,
    late: bool = False,
) -> list[dict]:
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="ccpkh-bench-") as tmp:
        work = (keep / f"{n_units}x{n_tasks}") if keep else Path(tmp)
        if keep:
            shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        run = Runner(work, n_units, n_tasks, timeout, profile)
        master = work / "so.xlsx"
        failed = False

        def step(name: str, fn, *setup_only) -> None:
            """Time `fn` when asked for; otherwise run it as set-up (untimed) when a later step needs it."""
            nonlocal failed
            if failed:
                if name in steps:
                    results.append({"step": name, "units": n_units, "tasks": n_tasks, "error": "skipped"})
                return
            if name in steps:
                r = fn()
                results.append(r)
                failed = "error" in r and name in ("build", "generate")
            elif any(s in steps for s in setup_only):
                r = fn()
                failed = "error" in r

        step("build", lambda: run.lib("build"), *STEPS[1:], *NAIVE)
        if not failed:
            shutil.copy(master, work / "so_built.xlsx")
        step("check", lambda: run.cli("check", ["check", "so.xlsx"], ok=(0, 1)))
        if "naive_generate" in steps and not failed:
            shutil.copy(work / "so_built.xlsx", work / "so_naive.xlsx")
            step("naive_generate", lambda: run.lib("naive_generate"))
        later = ("floor", "merge", "status", "report", "naive_merge")
        step(
            "generate", lambda: run.cli("generate", ["generate", "so.xlsx", "--period", PERIOD, "--out", "gui"]), *later
        )
        if any(s in steps for s in later) and not failed:
            shutil.copy(master, work / "so_sent.xlsx")
            fill_returns(work / "gui", work / "nhan", n_tasks, late)
        step("floor", lambda: run.lib("floor"))

        def merge() -> dict:
            r = run.cli("merge", ["merge", "so.xlsx", "nhan"], ok=(0, 1) if late else (0,))
            if "error" not in r and f"Đã tổng hợp {n_units}/{n_units} tệp" not in r["stdout"]:
                r["error"] = "not every return merged"
            return r

        step("merge", merge, "status", "report")
        step("status", lambda: run.cli("status", ["status", "so.xlsx", "--period", PERIOD]))
        step(
            "report",
            lambda: run.cli(
                "report", ["report", "so.xlsx", "--kind", "bao-cao", "--period", PERIOD, "--out", "bc.docx"]
            ),
        )
        if "naive_merge" in steps and not failed:
            shutil.copy(work / "so_sent.xlsx", work / "so_naive.xlsx")
            step("naive_merge", lambda: run.lib("naive_merge"))
    return results


def print_table(rows: list[dict], sizes: list[tuple[int, int]], profiled: bool) -> None:
    by = {(r["step"], r["units"], r["tasks"]): r for r in rows}
    print(f"Benchmark {date.today():%d/%m/%Y}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if profiled:
        print("(under cProfile: times are inflated, compare shares, not seconds)")
    print()
    print("| units × tasks | rows | step | seconds | CPU s | peak MB | naive openpyxl (s) | naive MB | speed-up |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")

    def cell(r: dict | None) -> tuple[str, str]:
        if r is None:
            return "", ""
        if "error" in r:
            return (r["error"] if "seconds" not in r else f"{r['seconds']:.2f} ({r['error']})"), (
                f"{r['peak_mb']:.0f}" if "peak_mb" in r else ""
            )
        return f"{r['seconds']:.2f}", f"{r['peak_mb']:.0f}"

    for n, t in sizes:
        for s in STEPS:
            a, b = by.get((s, n, t)), by.get((f"naive_{s}", n, t))
            if a is None and b is None:
                continue
            sa, ma = cell(a)
            sb, mb = cell(b)
            up = ""
            if a and b and "error" not in a and "error" not in b:
                up = f"{b['seconds'] / a['seconds']:.1f}×"
            cpu = f"{a['cpu']:.2f}" if a and "cpu" in a else ""
            print(f"| {n} × {t} | {n * t} | {s} | {sa} | {cpu} | {ma} | {sb} | {mb} | {up} |")
    print()
    for n, t in sizes:
        m, f = by.get(("merge", n, t)), by.get(("floor", n, t))
        if m and f and "error" not in m and "error" not in f:
            print(
                f"{n} × {t}: merge / calamine floor = {m['seconds']:.2f} / {f['seconds']:.2f} = {m['seconds'] / f['seconds']:.1f}×"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--units", type=int, nargs="+", default=None, help=f"units (several sizes allowed; default {UNITS})"
    )
    ap.add_argument("--tasks", type=int, default=None, help=f"tasks per unit (default {TASKS})")
    ap.add_argument(
        "--national", action="store_true", help=f"{NATIONAL[0]} units × {NATIONAL[1]} tasks, no naive baselines"
    )
    ap.add_argument("--only", nargs="+", choices=[*STEPS, *NAIVE, "naive"], help="steps to time (default all)")
    ap.add_argument("--naive", action=argparse.BooleanOptionalAction, default=None, help="run the naive baselines")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a step is stopped (default 600)")
    ap.add_argument("--keep", type=Path, help="keep the work files in this folder")
    ap.add_argument("--profile", type=Path, help="cProfile every step into this folder")
    ap.add_argument("--late", action="store_true", help="returns saved after the due date (every file warned)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    n_tasks = args.tasks or (NATIONAL[1] if args.national else TASKS)
    units = args.units or ([NATIONAL[0]] if args.national else [UNITS])
    if args.child:
        print(json.dumps(child(args.child, args.work, units[0], n_tasks)))
        return
    steps = list(args.only or STEPS)
    if "naive" in steps:
        steps = [s for s in steps if s != "naive"] + list(NAIVE)
    naive = args.naive if args.naive is not None else (not args.national and not args.only)
    if naive:
        steps += [s for s in NAIVE if s not in steps]
    elif args.naive is False:
        steps = [s for s in steps if s not in NAIVE]
    rows: list[dict] = []
    sizes = [(n, n_tasks) for n in units]
    for n, t in sizes:
        rows.extend(scenario(n, t, steps, args.timeout, args.keep, args.profile, args.late))
    if args.json:
        slim = [{k: v for k, v in r.items() if k not in ("stdout", "stderr")} for r in rows]
        args.json.write_text(json.dumps(slim, indent=1, ensure_ascii=False))
    print_table(rows, sizes, args.profile is not None)


if __name__ == "__main__":
    main()
