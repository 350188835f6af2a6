"""`ccpkh-excel macros`: give back the buttons to a master that lost them.

A master saved by LibreOffice, or saved as .xlsx, keeps its data but loses the VBA project
and the buttons of "Bảng điều khiển". This command builds a new .xlsm from the same base as
`init X.xlsm` (dashboard, VBA project, xlwings.conf) and writes into it, through the store,
every sheet of the old master: the plan's sheets, the record sheets, Thống kê's selection,
the plan's secret (forms already sent still merge), the dashboard's settings, "Cài đặt thư"
and any sheet the clerk added. The original is kept: beside it when the new file has another
name, in sao_luu/ when it is replaced in place.

`register(cli)` adds the command to the `ccpkh-excel` group.
(This module does not import `frontends.cli`: cli imports it, and the layers allow no cycle.)
"""

from __future__ import annotations

import sys
from copy import copy
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from ccpkh_excel.errors import CcpkhError, MasterError


def out() -> Console:
    return Console(file=sys.stdout, soft_wrap=True, highlight=False, width=None if sys.stdout.isatty() else 150)


def _wait() -> float:
    """The global --wait of `ccpkh-excel` (as in frontends/cli.py)."""
    ctx = click.get_current_context(silent=True)
    return float((ctx.find_root().obj or {}).get("wait") or 0) if ctx else 0.0


def _copy_sheet(src, wb, index: int | None = None):
    """A copy of an openpyxl sheet into another workbook: values, styles, widths, merged
    cells, tables, protection, visibility."""
    from openpyxl.worksheet.table import Table

    ws = wb.create_sheet(src.title, index)
    for row in src.iter_rows():
        for c in row:
            if not hasattr(c, "column_letter") or (c.value is None and not c.has_style):
                continue  # the covered cells of a merged range
            n = ws.cell(row=c.row, column=c.column, value=c.value)
            if c.data_type == "s":
                n.data_type = "s"
            if c.has_style:
                n.font, n.fill, n.border = copy(c.font), copy(c.fill), copy(c.border)
                n.alignment, n.protection = copy(c.alignment), copy(c.protection)
                n.number_format = c.number_format
    for key, dim in src.column_dimensions.items():
        ws.column_dimensions[key].width = dim.width
    for rng in src.merged_cells.ranges:
        ws.merge_cells(str(rng))
    for t in src.tables.values():
        new = Table(displayName=t.displayName, ref=t.ref)
        new.tableStyleInfo = copy(t.tableStyleInfo)
        ws.add_table(new)
    ws.protection = copy(src.protection)
    ws.sheet_state = src.sheet_state
    ws.freeze_panes = src.freeze_panes
    return ws


def restore_macros(master: Path, target: Path | None = None, force: bool = False, wait: float = 0.0) -> Path:
    """Write `master` with its data into `target` (.xlsm, default: the same name), with the
    VBA project and the buttons; returns the path written."""

    from ccpkh_excel.domain.signing import new_secret
    from ccpkh_excel.features.excel.dashboard import DASHBOARD, SETTINGS, XLWINGS_CONF, base_workbook, lost_macros
    from ccpkh_excel.store import files, sheets
    from ccpkh_excel.store.lock import RunLock
    from ccpkh_excel.store.master import Master
    from ccpkh_excel.store.records import log_row, write_records
    from ccpkh_excel.store.schema import PLAN_SHEET_NAMES, RECORD_SHEET_NAMES, STATS
    from ccpkh_excel.store.schema import SETTINGS as MAIL_SHEET
    from ccpkh_excel.store.stats_sheet import AS_OF_CELL, PERIOD_CELL

    master = Path(master)
    target = Path(target) if target else master.with_suffix(".xlsm")
    if target.suffix.lower() != ".xlsm":
        raise CcpkhError(f"Sổ có nút bấm phải có đuôi .xlsm, không phải '{target.name}'.")
    in_place = target.exists() and target.resolve() == master.resolve()
    if in_place and not lost_macros(master) and sheets.macro_parts(master) == set(sheets.MACRO_PARTS):
        raise CcpkhError(f"Sổ {master.name} vẫn còn đủ macro và nút bấm; không cần dựng lại.")
    if target.exists() and not in_place:
        if not force:
            raise CcpkhError(f"Đã có tệp {target.name}. Thêm --force để ghi đè, hoặc chọn tên khác bằng --out.")
        files.ensure_not_open(target)
    with Master.open(master, wait=wait) if in_place else _reading(master) as m:
        plan, assignments, records, secret = m.plan, m.assignments, m.records, m.stored_secret() or new_secret()
        old = sheets.load(master)
        wb = sheets.load(base_workbook(plan.year), macro=True)
        if DASHBOARD in old.sheetnames:  # the clerk's settings: period, folders
            for row, *_ in SETTINGS.values():
                value = old[DASHBOARD][f"B{row}"].value
                if value not in (None, ""):
                    wb[DASHBOARD][f"B{row}"].value = value
        known = set(PLAN_SHEET_NAMES) | set(RECORD_SHEET_NAMES) | {DASHBOARD, XLWINGS_CONF}
        for ws in old.worksheets:  # "Cài đặt thư" (kept as it is by the store) and the clerk's own sheets
            if ws.title == MAIL_SHEET.name or ws.title not in known:
                _copy_sheet(ws, wb)
        stats = None
        if STATS in old.sheetnames:
            from ccpkh_excel.domain.values import cell_date

            period, as_of = old[STATS][PERIOD_CELL].value, cell_date(old[STATS][AS_OF_CELL].value)
            if period and as_of:
                stats = (str(period), as_of)
        records.log.append(
            log_row("Dựng lại macro", [master.name], f"Ghi {target.name} có lại macro và nút bấm, giữ dữ liệu.")
        )
        sheets.fill_plan(wb, plan, assignments, secret)
        files.ensure_writable(target)  # a read-only master (or target) is refused, never replaced
        first, second = files.temp_path(target), files.temp_path(target)
        target_lock = None if in_place else RunLock(target).acquire(wait)  # another run may hold the target
        try:
            wb.save(first)
            write_records(first, second, records, {t.code: t.due for t in plan.tasks}, stats)
            if sheets.macro_parts(second) != set(sheets.MACRO_PARTS):
                raise MasterError("không dựng được macro và nút bấm; sổ giữ nguyên.", master)
            if in_place:
                m.backup = files.backup(master)
            elif target.exists():
                files.backup(target)
            files.replace_atomically(second, target)
        except OSError as exc:
            raise MasterError(f"không ghi được {target.name} ({files.os_reason(exc)}); sổ giữ nguyên.", master) from exc
        finally:
            first.unlink(missing_ok=True)
            second.unlink(missing_ok=True)
            if target_lock is not None:
                target_lock.release()
    return target


class _reading:
    """`Master.read` as a context manager (the source is only read when the target differs)."""

    def __init__(self, path: Path):
        from ccpkh_excel.store.master import Master

        self.m = Master.read(path)

    def __enter__(self):
        return self.m

    def __exit__(self, *exc):
        return False


@click.command("macros")
@click.argument("master", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Sổ .xlsm ghi ra (mặc định: cùng tên, đuôi .xlsm; sổ cũ được giữ lại).",
)
@click.option("--force", is_flag=True, help="Ghi đè tệp --out nếu đã có.")
def macros_cmd(master: Path, target: Path | None, force: bool) -> None:
    """Dựng lại macro và nút bấm cho sổ đã mất chúng (lưu bằng LibreOffice hay thành .xlsx), giữ nguyên dữ liệu."""
    written = restore_macros(master, target, force, wait=_wait())
    kept = (
        f"sổ cũ {master.name} giữ nguyên"
        if written.resolve() != master.resolve()
        else "sổ cũ được sao lưu trong thư mục sao_luu"
    )
    out().print(
        f"Đã ghi {escape(str(written))}: có lại Bảng điều khiển, macro và các nút; dữ liệu giữ nguyên ({escape(kept)})."
    )


COMMANDS = (macros_cmd,)


def register(group: click.Group) -> click.Group:
    """Add the Excel commands to `group` (the `ccpkh-excel` group)."""
    for command in COMMANDS:
        group.add_command(command)
    return group
