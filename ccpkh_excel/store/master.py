"""`Master`: the one object that owns the master workbook for one run.

    with Master.open(path, wait=0) as m:      # takes the run lock before reading anything
        plan, records = m.plan, m.records      # typed, read once with python-calamine
        ...
        m.log("Tổng hợp", files, "3 phiếu")    # a line for Nhật ký
        m.save(records=records)                # backup, temporary file, fsync, replace

Every command that changes the master goes through it; readers that change nothing use
`Master.read(path)` (no lock: a writer replaces the file in one step, so a reader sees the
old file or the new one). A run that fails before `save` changes nothing; `save` leaves the
old file whole until the new one is complete. The Excel buttons open the *real* workbook the
button was pressed in with `publish=`: the lock and the backup are taken on that file, and
the new sheets are handed to Excel to write into the open book instead of replacing the file
under Excel's feet.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from itertools import islice, starmap
from pathlib import Path
from uuid import uuid4

from ccpkh_excel.domain.plan import INFO_FIELDS, PLAN_ID, Assignment, Plan, Task, build_assignments
from ccpkh_excel.domain.signing import new_secret
from ccpkh_excel.domain.units import Unit, split_list
from ccpkh_excel.domain.values import BLANK, cell_date, cell_text, convert_each, record_value
from ccpkh_excel.domain.vntext import fold
from ccpkh_excel.errors import MasterError
from ccpkh_excel.store import files
from ccpkh_excel.store.lock import RunLock
from ccpkh_excel.store.processes import paused_gc
from ccpkh_excel.store.records import Records, log_row, write_records
from ccpkh_excel.store.schema import (
    ASSIGN,
    BASIS,
    CONTENT,
    INFO,
    MAIL_SETTINGS,
    ORGANIZATION,
    PLAN_SHEET_NAMES,
    PURPOSE,
    RECORD_SHEET_NAMES,
    RECORD_SHEETS,
    RETURNS,
    SECRET_SHEET,
    SETTINGS,
    TASKS,
    UNITS,
    SheetSpec,
)

Publish = Callable[[Path, list[str]], None]


# --- reading ---------------------------------------------------------------------------------
def _calamine(path: Path):
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.exists():
        raise MasterError("không tìm thấy tệp. Hãy tạo bằng lệnh 'ccpkh-excel init'.", path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise MasterError(
            f"không đọc được sổ theo dõi ({exc.__class__.__name__}). Tệp có bị hỏng không?", path
        ) from None


FREEZE_ROWS = 100_000  # record rows from which the collector is told to leave them alone (see records_of)
CHUNK = 20_000  # rows picked, converted and dropped at a time: the sheet's raw values never all held


def _sheet_chunks(wb, spec: SheetSpec, path: Path, required: bool = True) -> Iterator[list[tuple]]:
    """The stored columns of one of our sheets (headers matched leniently), `CHUNK` rows at a
    time: each block the list of the stored columns, each a tuple of its raw values in the
    block's rows, rows holding nothing left out.

    A province's Tổng hợp has hundreds of thousands of rows: python-calamine hands them over
    one by one (its `iter_rows`), and only the columns wanted are kept — never the whole
    sheet as Python lists while our values are made. A block is turned into columns in one
    step (`zip`, in C), not row by row."""
    names = {fold(n): n for n in wb.sheet_names}
    wanted = spec.stored_columns
    if fold(spec.name) not in names:
        if not required:
            return
        raise MasterError(f"thiếu sheet '{spec.name}'. Đây có phải sổ theo dõi của ccpkh-excel?", path)
    sheet = wb.get_sheet_by_name(names[fold(spec.name)])
    start = sheet.start
    # iter_rows pads the rows above the first cell, not the columns left of it
    rows = iter(sheet.iter_rows() if start is None or start[1] == 0 else sheet.to_python(skip_empty_area=False))
    header = next(rows, [])
    index = {fold(h): i for i, h in enumerate(header) if h not in (None, "")}
    missing = [c.header for c in wanted if fold(c.header) not in index]
    if missing:
        cols = ", ".join(f"'{h}'" for h in missing)
        raise MasterError(f"sheet '{spec.name}' thiếu cột {cols}.", path)
    at = [index[fold(c.header)] for c in wanted]
    width = max(at) + 1
    while True:
        block = list(islice(rows, CHUNK))
        if not block:
            return
        if min(map(len, block)) < width:  # never from calamine (its rows are as wide as the sheet)
            block = [[*row, *[""] * (width - len(row))] for row in block]
        every = list(zip(*block, strict=False))  # to the narrowest row: at least `width`
        del block
        columns = [every[i] for i in at]
        del every
        if not BLANK.isdisjoint(columns[0]):  # rows left empty, or filled from a later column only
            keep = [
                i
                for i, row in enumerate(zip(*columns, strict=True))
                if row[0] not in BLANK or not BLANK.issuperset(row)
            ]
            columns = [tuple(map(c.__getitem__, keep)) for c in columns]
        if columns[0]:
            yield columns


def sheet_columns(wb, spec: SheetSpec, path: Path, required: bool = True) -> list[list[object]]:
    """The stored columns of one of our sheets (headers matched leniently), each the list of its
    values in the rows that hold something in one of them."""
    columns: list[list[object]] = [[] for _ in spec.stored_columns]
    for block in _sheet_chunks(wb, spec, path, required):
        for column, values in zip(columns, block, strict=True):
            column.extend(values)
    return columns


def sheet_rows(wb, spec: SheetSpec, path: Path, converters: list, required: bool = True) -> list[tuple]:
    """The rows of one of our sheets as `spec.row` tuples, each stored column converted by its
    converter in `converters`, once per distinct value (`convert_each`)."""
    make = partial(tuple.__new__, spec.row)  # the named tuple from one tuple of values, no Python call
    tables: list[dict] = [{} for _ in converters]
    out: list[tuple] = []
    for block in _sheet_chunks(wb, spec, path, required):
        columns = [
            convert_each(values, convert, table)
            for values, convert, table in zip(block, converters, tables, strict=True)
        ]
        del block
        out.extend(map(make, zip(*columns, strict=True)))
    return out


def records_of(wb, path: Path) -> Records:
    """Every record sheet of the master, each row typed by its column's kind (`record_value`)."""
    out = Records()
    lists = out.by_spec()
    with paused_gc():  # millions of new objects, none in a cycle: no collection pass over them
        for spec in RECORD_SHEETS:
            lists[spec.name].extend(sheet_rows(wb, spec, path, _record_kinds(spec), required=False))
        if sum(map(len, lists.values())) >= FREEZE_ROWS:
            # a province's rows stay for the whole run: the collector would go over them again
            # and again while the rest of the command works (they are still freed when let go)
            gc.freeze()
    return out


def _record_kinds(spec: SheetSpec) -> list:
    """Each stored column's converter: `record_value` of its kind."""
    return [partial(record_value, kind=c.kind) for c in spec.stored_columns]


def sheet_records(wb, spec: SheetSpec, path: Path, required: bool = True) -> list[dict[str, object]]:
    """Rows of one of our sheets as dicts keyed by its headers (matched leniently)."""
    headers = [c.header for c in spec.stored_columns]
    columns = sheet_columns(wb, spec, path, required)
    return [dict(zip(headers, values, strict=True)) for values in zip(*columns, strict=True)]


def plan_from_workbook(wb, path: Path) -> Plan:
    plan = Plan()
    for r in sheet_records(wb, INFO, path):
        label = cell_text(r["Mục"])
        match = next((f for f in INFO_FIELDS if fold(f) == fold(label)), label)
        value = r["Giá trị"]
        if match == "Ngày ban hành":
            value = cell_date(value) or cell_text(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            value = cell_text(value)
        plan.info[match] = value
    for r in sheet_records(wb, UNITS, path):
        plan.units.append(
            Unit(
                code=cell_text(r["Mã đơn vị"]),
                name=cell_text(r["Tên đơn vị"]),
                aliases=split_list(cell_text(r["Tên khác"])),
                groups=split_list(cell_text(r["Nhóm"])),
                email=cell_text(r["Email"]),
            )
        )
    for r in sheet_records(wb, TASKS, path):
        plan.tasks.append(
            Task(
                code=cell_text(r["Mã NV"]),
                stt=cell_text(r["STT"]),
                field=cell_text(r["Lĩnh vực"]),
                content=cell_text(r["Nội dung công việc"]),
                lead=cell_text(r["Cơ quan chủ trì"]),
                coop=cell_text(r["Cơ quan phối hợp"]),
                deadline=cell_text(r["Thời gian hoàn thành"]),
                due=cell_date(r["Hạn hoàn thành"]),
                product=cell_text(r["Sản phẩm"]),
                note=cell_text(r["Ghi chú"]),
            )
        )
    for spec, target in ((PURPOSE, plan.purposes), (CONTENT, plan.content), (ORGANIZATION, plan.organization)):
        for r in sheet_records(wb, spec, path, required=False):
            a, b = (cell_text(r[h]) for h in spec.headers)
            target.append((a, b))
    plan.basis = [cell_text(r["Căn cứ"]) for r in sheet_records(wb, BASIS, path, required=False)]
    return plan


def _quietly(work: Callable[[], object]) -> None:
    try:
        work()
    except Exception:  # noqa: BLE001, S110 - done again, and reported, where its result is needed
        pass


def _as_is(value):
    return value


# --- the store ---------------------------------------------------------------------------------
class Master:
    """The master workbook, held for one run (see the module's docstring)."""

    def __init__(self, path: Path, lock: RunLock | None = None, publish: Publish | None = None):
        self.path = Path(path)
        self._lock = lock
        self._publish = publish
        self._wb = None
        self._plan: Plan | None = None
        self._assignments: list[Assignment] | None = None
        self._records: Records | None = None
        self._secret: str | None = None
        self._new_secret = False
        self._log: list = []
        self.backup: Path | None = None  # the backup made by the last save
        self.removed_temps: list[Path] = []
        if lock is not None and lock.taken_over is not None:
            h = lock.taken_over
            self._log.append(
                log_row(
                    "Mở khóa", [], f"Lấy lại khóa của lần chạy đã dừng đột ngột ({h.describe()}, tiến trình {h.pid})."
                )
            )

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str, wait: float = 0.0, publish: Publish | None = None) -> Master:
        """Hold the master for a run that may change it: the run lock first, then the reads.

        `wait`: seconds to wait for a run holding the master (0: refuse at once, exit 2).
        `publish`: for the Excel buttons, hands the new workbook to Excel (see module doc)."""
        path = Path(path)
        if not path.parent.is_dir():
            raise MasterError(f"không có thư mục '{path.parent}'.", path)
        if publish is None:
            files.ensure_not_open(path)
        lock = RunLock(path).acquire(wait)
        try:
            master = cls(path, lock, publish)
            master.removed_temps = files.remove_temps(path)
        except BaseException:
            lock.release()
            raise
        return master

    @classmethod
    def read(cls, path: Path | str) -> Master:
        """The master for reading only: no lock, `save` refused."""
        return cls(Path(path))

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Master:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and self._log and self._lock is not None and self.path.exists():
                self.save()  # a lock taken over is recorded even when the run itself wrote nothing
        finally:
            self.close()

    @property
    def writable(self) -> bool:
        """Whether this run holds the master and may `save`."""
        return self._lock is not None and self._lock.held

    @property
    def exists(self) -> bool:
        return self.path.exists()

    # -- reading ---------------------------------------------------------------------------
    def _workbook(self):
        if self._wb is None:
            self._wb = _calamine(self.path)
        return self._wb

    @property
    def plan(self) -> Plan:
        """The plan (a fresh copy is not made: callers change it and pass it to `save`)."""
        if self._plan is None:
            self._plan = plan_from_workbook(self._workbook(), self.path)
        return self._plan

    @property
    def assignments(self) -> list[Assignment]:
        """The "Phân công" rows as stored."""
        if self._assignments is None:
            texts = [cell_text] * len(ASSIGN.stored_columns)  # a few thousand distinct values, each made once
            with paused_gc():
                rows = sheet_rows(self._workbook(), ASSIGN, self.path, texts)
                self._assignments = list(starmap(Assignment, rows))
        return self._assignments

    @property
    def records(self) -> Records:
        if self._records is None and not self.path.exists():
            self._records = Records()  # a master being created
        if self._records is None:
            self._records = records_of(self._workbook(), self.path)
        return self._records

    def returns_sent(self) -> list:
        """The rows of "Theo dõi nộp" (forms sent, returned): from `records` once read, else
        that sheet alone — a few thousand rows, without the seconds of a province's Tổng hợp."""
        if self._records is not None or not self.path.exists():
            return self.records.returns
        return sheet_rows(self._workbook(), RETURNS, self.path, _record_kinds(RETURNS), required=False)

    def records_alongside(self, *work: Callable[[], object]) -> Records:
        """`records`, with `work` done meanwhile in a thread: python-calamine reads a sheet
        without holding the interpreter, so a province's Tổng hợp (seconds of reading) leaves
        the other processor free for what the command needs next (imports, the plan's
        assignments). `work` changes nothing the reading uses; its errors are left to the
        code that needs its result (it runs again there). The thread has ended on return (a
        forked child must not inherit it)."""
        if self._records is not None or not work:
            for w in work:
                _quietly(w)
            return self.records
        import threading

        helper = threading.Thread(target=lambda: [_quietly(w) for w in work], name="ccpkh-alongside", daemon=True)
        helper.start()
        try:
            return self.records
        finally:
            helper.join()

    def stored_secret(self) -> str:
        """The plan's secret as the master holds it, "" when it has none."""
        if self._secret is None:
            rows = []
            if self.path.exists():
                wb = self._workbook()
                if SECRET_SHEET in wb.sheet_names:
                    rows = wb.get_sheet_by_name(SECRET_SHEET).to_python(skip_empty_area=False)
            found = next((str(r[1]) for r in rows if len(r) > 1 and r[0] == "secret" and r[1]), "")
            self._secret = found if re.fullmatch(r"[0-9a-f]{64}", found) else ""
        return self._secret

    @property
    def secret(self) -> str:
        """The plan's secret that signs its forms; a master without one is refused (its forms
        cannot be checked — a lost key is never silently replaced)."""
        if not self.stored_secret():
            raise MasterError(
                "sổ không có khóa ký phiếu (sheet ẩn _ccpkh): chưa tạo phiếu nào từ sổ này, hoặc khóa đã mất. "
                "Khôi phục sổ từ thư mục sao_luu, hoặc tạo lại phiếu ('ccpkh-excel generate') rồi gửi lại cho đơn vị.",
                self.path,
            )
        return self._secret

    def ensure_secret(self) -> str:
        """The plan's secret, made (and saved with the next `save`) when the master has none:
        for `generate`, which sends forms signed with it."""
        if not self.stored_secret():
            self._secret, self._new_secret = new_secret(), True
        return self._secret

    @property
    def settings(self) -> dict[str, str]:
        """The e-mail settings the clerk wrote in "Cài đặt thư" (defaults where empty or missing)."""
        values = dict(MAIL_SETTINGS)
        if self.path.exists():
            for r in sheet_records(self._workbook(), SETTINGS, self.path, required=False):
                label, value = cell_text(r["Mục"]), r["Giá trị"]
                if label:
                    values[label] = (
                        ""
                        if value in (None, "")
                        else (cell_text(value) if not isinstance(value, str) else value.strip())
                    )
        return values

    def has_sheet(self, spec: SheetSpec) -> bool:
        """Whether the master has the sheet `spec` (any sheet, by its name)."""
        return self.path.exists() and fold(spec.name) in {fold(n) for n in self._workbook().sheet_names}

    def sheet(self, spec: SheetSpec) -> list[tuple]:
        """The rows of any sheet of the master as `spec.row` tuples ([] when the sheet is missing):
        text columns as NFC text, date columns as dates, others as stored. For the sheets the
        plan and the records do not own (written with `save(sheets=...)`)."""
        if not self.path.exists():
            return []
        convert = {"text": cell_text, "date": cell_date}
        out = []
        for r in sheet_records(self._workbook(), spec, self.path, required=False):
            out.append(spec.row(*(convert.get(c.kind, _as_is)(r[c.header]) for c in spec.stored_columns)))
        return out

    def _lacks_record_sheets(self) -> bool:
        return self.path.exists() and any(s.name not in self._workbook().sheet_names for s in RECORD_SHEETS)

    @property
    def plan_id(self) -> str:
        return str(self.plan.info.get(PLAN_ID) or "")

    def dues(self) -> dict[str, date | None]:
        return {t.code: t.due for t in self.plan.tasks}

    # -- writing ---------------------------------------------------------------------------
    def log(self, action: str, names: list[str], outcome: str) -> None:
        """A line for Nhật ký, written with the next `save`."""
        self._log.append(log_row(action, names, outcome))

    def save(
        self,
        plan: Plan | None = None,
        assignments: list[Assignment] | None = None,
        records: Records | None = None,
        stats: tuple[str, date] | None = None,
        base: bytes | None = None,
        fresh: bool = False,
        sheets: dict[SheetSpec, list] | None = None,
    ) -> Path | None:
        """Write what changed: the plan's sheets (`plan`), the record sheets (`records`), the
        Thống kê selection (`stats`), other sheets given whole (`sheets`: spec → rows, each
        rewritten as a table). `fresh` starts a new workbook instead of keeping the file's
        other sheets (`base`: the bytes to start from). Returns the backup's path."""
        fresh = fresh or base is not None
        if not self.writable:
            raise MasterError("chưa giữ sổ để ghi (mở bằng Master.open).", self.path)
        path = self.path
        if self._publish is None:
            files.ensure_not_open(path)
        files.ensure_writable(path)
        if plan is not None and not plan.info.get(PLAN_ID):
            plan.info[PLAN_ID] = "KH-" + uuid4().hex[:10].upper()
        if (
            plan is None
            and (self._new_secret or (records is not None and self._lacks_record_sheets()))
            and (self.path.exists() and not fresh)
        ):  # a new secret, or a record sheet an older master lacks, goes in with the plan's sheets
            plan, assignments = self.plan, self.assignments
        pending = list(self._log)
        if pending:
            records = records if records is not None else self.records
            records.log.extend(pending)
        temps: list[Path] = []
        try:
            existed = path.exists()
            source = path if existed and not fresh else None
            changed: list[str] = []
            if plan is not None or sheets:
                if plan is not None and assignments is None:
                    assignments = build_assignments(plan)
                if plan is None and not existed:
                    raise MasterError("sổ chưa có sheet nào; hãy tạo bằng 'ccpkh-excel init'.", path)
                light = base is None and source is not None and _rows_bytes(path) > LIGHT_FROM
                if light and plan is None:  # Phân công is written again from the rows as read
                    assignments = self.assignments
                source = self._write_plan(plan, assignments, base, fresh, temps, sheets or {}, light)
                changed += PLAN_SHEET_NAMES if plan is not None else []
                changed += [s.name for s in sheets or {} if s.name not in changed]
                if records is None and (plan is not None or existed):
                    # the fast writer finishes every openpyxl save: it writes the formulas' values
                    # (openpyxl keeps none) and, when `light`, the rows openpyxl did not read
                    records = self.records
            else:
                light = False
            if records is not None or stats is not None:
                if source is None:
                    raise MasterError("sổ chưa có sheet nào; hãy tạo bằng 'ccpkh-excel init'.", path)
                if records is None:
                    records = self.records
                tmp = files.temp_path(path)
                temps.append(tmp)
                dues = {t.code: t.due for t in (plan or self.plan).tasks}
                # Phân công's rows streamed: a new plan's, or (`light`) those openpyxl did not read
                tables = {ASSIGN: _assign_rows(assignments)} if plan is not None or light else None
                # Phân công as read from this file (the lock held since): the formulas need not read it again
                known = {ASSIGN: _assign_rows(self._assignments)} if plan is None and self._assignments else None
                write_records(source, tmp, records, dues, stats, tables, known)
                source = tmp
                changed += [n for n in RECORD_SHEET_NAMES if n not in changed]
            if source is None or source == path:
                return None
            self.backup = files.backup(path) if existed else None
            if self._publish is not None:
                self._publish(source, changed)
            else:
                files.replace_atomically(source, path)
        except OSError as exc:
            for p in temps:
                p.unlink(missing_ok=True)
            self._forget(pending, records)
            raise MasterError(f"không ghi được sổ ({files.os_reason(exc)}); sổ giữ nguyên như trước.", path) from exc
        except BaseException:
            self._forget(pending, records)
            raise
        finally:
            for p in temps:
                p.unlink(missing_ok=True)
        self._log = [r for r in self._log if r not in pending]
        self._new_secret = False
        self._wb = None
        self._plan, self._assignments = (plan, assignments) if plan is not None else (self._plan, self._assignments)
        self._records = records if records is not None else self._records
        return self.backup

    def _forget(self, pending: list, records: Records | None) -> None:
        if records is not None and pending:
            del records.log[len(records.log) - len(pending) :]

    def _write_plan(
        self,
        plan: Plan | None,
        assignments: list[Assignment] | None,
        base: bytes | None,
        fresh: bool,
        temps: list[Path],
        side: dict[SheetSpec, list],
        light: bool = False,
    ) -> Path:
        """The plan's sheets and `side` sheets written by openpyxl into a temporary file. `light`:
        openpyxl reads the master without the rows of Phân công and the record sheets (a
        province's hundreds of thousands: minutes and gigabytes in openpyxl) — the caller
        writes them all again (`write_records`)."""
        from ccpkh_excel.store import sheets

        path = self.path
        macro = path.suffix.lower() == ".xlsm"
        start = base if base is not None else (path if path.exists() and not fresh else None)
        if light and isinstance(start, Path):
            start = _without_rows(start)
        wb = sheets.load(start, macro)
        if plan is not None:
            if fresh or not self.path.exists():
                self._secret, self._new_secret = new_secret(), True  # a new master: a new plan, a new secret
            # Phân công with one body row (styles, table, protection); `write_records` streams its rows
            sheets.fill_plan(wb, plan, assignments[:1], self.ensure_secret())
        sheets.write_side_sheets(wb, side)
        tmp = files.temp_path(path)
        temps.append(tmp)
        with open(tmp, "wb") as fh:  # closed even when the save fails half way (Windows can then remove it)
            wb.save(fh)
        if start is not None:
            lost = sheets.macro_parts(start if isinstance(start, bytes) else path) - sheets.macro_parts(tmp)
            if macro and lost:
                raise MasterError(
                    f"ghi lại sẽ làm mất {', '.join(sorted(lost))} (macro, nút bấm); đã dừng, sổ giữ nguyên.", path
                )
        return tmp


LIGHT_FROM = 8 * 1024 * 1024  # bytes of Phân công and the record sheets from which openpyxl reads them without rows
_ROW_SHEETS = (ASSIGN, *RECORD_SHEETS)


def _rows_bytes(path: Path) -> int:
    """The XML size of the sheets `_without_rows` leaves the rows out of."""
    import zipfile

    from ccpkh_excel.store import xlsxfast

    try:
        with zipfile.ZipFile(path) as z:
            parts = xlsxfast.sheet_paths(z)
            return sum(z.getinfo(parts[s.name]).file_size for s in _ROW_SHEETS if s.name in parts)
    except (OSError, KeyError, zipfile.BadZipFile):
        return 0  # the usual reader says what is wrong


def _without_rows(path: Path) -> bytes:
    """The master's file with Phân công and the record sheets cut to their first two rows
    (`records.sheet_frame`: the header, the first body row's styles, all that surrounds them)."""
    import io
    import zipfile

    from ccpkh_excel.store import xlsxfast
    from ccpkh_excel.store.records import sheet_frame

    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        parts = xlsxfast.sheet_paths(zin)
        heavy = {parts[s.name] for s in _ROW_SHEETS if s.name in parts}
        for info in zin.infolist():
            data = sheet_frame(zin, info.filename).encode("utf-8") if info.filename in heavy else zin.read(info)
            zout.writestr(info, data)
    return out.getvalue()


def _assign_rows(assignments: list[Assignment]) -> list[list[object]]:
    return [[a.task, a.unit, a.unit_name, a.role] for a in assignments]


@contextmanager
def hold(master: Master | Path | str, wait: float = 0.0) -> Iterator[Master]:
    """The given `Master` as it is, or a path opened (and closed) for this call."""
    if isinstance(master, Master):
        yield master
    else:
        with Master.open(master, wait=wait) as m:
            yield m


# --- the simplest calls ---------------------------------------------------------------------------
def read_plan(path: Path) -> Plan:
    """The plan a master holds (read only)."""
    return Master.read(path).plan


def read_assignments(path: Path) -> list[Assignment]:
    """The "Phân công" rows as stored in the master."""
    return Master.read(path).assignments


def read_records(path: Path) -> Records:
    return Master.read(path).records


def write_plan(plan: Plan, path: Path, assignments: list[Assignment] | None = None, wait: float = 0.0) -> None:
    """Write `plan` into the master at `path` (creating it), keeping its other sheets."""
    with Master.open(path, wait=wait) as m:
        m.save(plan=plan, assignments=assignments)


__all__ = ["Master", "hold", "read_plan", "read_assignments", "read_records", "write_plan"]
