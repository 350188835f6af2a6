"""Time and memory of `ccpkh-excel report --kind bao-cao` (and `status`) by the number of rows
of Tổng hợp: a synthetic province of N units × T tasks, every task led by all units, every
assignment reported for Quý I/2026 (a mix of answers), so Tổng hợp holds N × T rows.

Each measured command runs in its own process: wall time around it (interpreter start and
imports included) and its peak memory (max RSS of the child).

Usage:

    python benchmarks/report_bench.py                       # 1,000×30, 1,000×100, 3,400×100 (30k, 100k, 340k rows)
    python benchmarks/report_bench.py --sizes 200x30        # other sizes (units x tasks)
    python benchmarks/report_bench.py --keep work/          # keep the masters
    python benchmarks/report_bench.py --keep work/ --reuse  # measure again on the masters kept
    python benchmarks/report_bench.py --profile prof/       # cProfile of each report run into prof/

Goal (issue 12): under 10 s and 500 MB at 340,000 rows, the master read once.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import synthetic_plan  # noqa: E402  the same synthetic province

PERIOD = "Quý I/2026"
AS_OF = "10/04/2026"


def build(path: Path, n_units: int, n_tasks: int, seed: int = 7) -> int:
    """Write the synthetic master; returns the number of Tổng hợp rows."""
    from ccpkh_excel import Master, write_plan
    from ccpkh_excel.domain.plan import build_assignments
    from ccpkh_excel.store.records import Records
    from ccpkh_excel.store.schema import SUMMARY

    rnd = random.Random(seed)
    fields = ["Thể chế", "Thủ tục hành chính", "Tổ chức bộ máy", "Công vụ", "Tài chính công", "Chính quyền số"]
    plan = synthetic_plan(n_units, n_tasks, [f"Cải cách {f}" for f in fields])
    units = plan.units
    write_plan(plan, path)
    dues = {t.code: t.due for t in plan.tasks}
    names = {u.code: u.name for u in units}
    rows = []
    for a in build_assignments(plan):
        status = rnd.choice(["Hoàn thành", "Hoàn thành", "Đang thực hiện", "Chưa thực hiện"])
        due = dues[a.task] or date(2026, 12, 31)
        done = due + timedelta(days=rnd.choice([-10, 2])) if status == "Hoàn thành" else ""
        rows.append(
            SUMMARY.make(
                task=a.task,
                unit=a.unit,
                unit_name=names[a.unit],
                role=a.role,
                period=PERIOD,
                status=status,
                done=done,
                result=f"Đã thực hiện {a.task}" if status == "Hoàn thành" else "",
                difficulty="Thiếu kinh phí" if rnd.random() < 0.05 else "",
                saved=datetime(2026, 3, 30, 9),
                source="phieu.xlsx",
            )
        )
    with Master.open(path) as m:
        m.save(records=Records(summary=rows), stats=(PERIOD, date(2026, 4, 10)))
    return len(rows)


def run(cmd: list[str], profile: Path | None = None) -> tuple[float, float, str, float]:
    """(seconds, peak MB, output, CPU seconds) of one command in its own process. The peak is
    the largest resident size of the command or of a process it started (the template is
    filled in a child process): GNU time's %M where there is one, else the children's
    ru_maxrss. CPU seconds (user + system, with the processes it started) tell the work done
    when other programs share the machine and stretch the wall time."""
    if profile is not None:  # the same command under cProfile, saved even when it exits
        code = (
            "import cProfile, sys\n"
            "from ccpkh_excel.frontends.cli import main\n"
            "p = cProfile.Profile()\n"
            "try:\n    p.runcall(main)\n"
            f"finally:\n    p.dump_stats({str(profile)!r})\n"
        )
        cmd = [sys.executable, "-c", code, *cmd[3:]]
    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    with tempfile.NamedTemporaryFile(suffix=".txt") as peak_file:
        full = [gnu_time, "-f", "%M %U %S", "-o", peak_file.name, *cmd] if gnu_time else cmd
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(full, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if gnu_time:
            peak_kb, user, system = (float(x) for x in Path(peak_file.name).read_text().split()[-3:])
            cpu = user + system
        else:
            peak_kb = after.ru_maxrss
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, peak_kb / 1024, proc.stdout + proc.stderr, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["1000x30", "1000x100", "3400x100"])
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--reuse", action="store_true", help="with --keep: use the masters already built there")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ccpkh-report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-c", "from ccpkh_excel.frontends.cli import main; main()"]
    print("| units × tasks | Tổng hợp rows | step | seconds | peak MB | CPU s |")
    print("|---|---:|---|---:|---:|---:|")
    try:
        for size in args.sizes:
            n_units, n_tasks = (int(x) for x in size.lower().split("x"))
            master = work / f"so_{n_units}x{n_tasks}.xlsx"
            if args.reuse and master.exists():
                rows = n_units * n_tasks
            else:
                t0 = time.perf_counter()
                rows = build(master, n_units, n_tasks)
                print(f"<!-- built {master.name}: {rows} rows in {time.perf_counter() - t0:.1f} s -->", file=sys.stderr)
            steps = {
                "status": [*cli, "status", str(master), "--period", PERIOD, "--as-of", AS_OF],
                "report bao-cao": [
                    *cli,
                    "report",
                    str(master),
                    "--kind",
                    "bao-cao",
                    "--period",
                    PERIOD,
                    "--as-of",
                    AS_OF,
                    "--out",
                    str(work / f"bao_cao_{size}.docx"),
                ],
            }
            for name, cmd in steps.items():
                prof = None
                if args.profile and name.startswith("report"):
                    args.profile.mkdir(parents=True, exist_ok=True)
                    prof = args.profile / f"report_{size}.prof"
                seconds, peak, _, cpu = run(cmd, prof)
                print(
                    f"| {n_units} × {n_tasks} | {rows} | {name} | {seconds:.2f} | {peak:.0f} | {cpu:.2f} |", flush=True
                )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
