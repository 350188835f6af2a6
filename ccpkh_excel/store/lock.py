"""The run lock: one command at a time changes a master, on one computer or across a shared folder.

The lock is a small file beside the master, ``.<tên sổ>.ccpkh-lock``, holding the computer,
the process, the user and the time the run started. It appears whole or not at all: it is
written under a private name and hard-linked into place, which fails when a lock is there.

A lock is *stale* — left by a run that was killed — when it names a process on this computer
that no longer exists, or when it is empty or unreadable (a disk that filled up). A stale lock
is taken over under a short-lived second lock (``….takeover``), so that of two runs finding
the same stale lock only one takes it. A lock held from another computer is never taken
over: the message says whose it is.
"""

from __future__ import annotations

import errno
import getpass
import os
import socket
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ccpkh_excel.domain import times
from ccpkh_excel.errors import MasterBusyError, MasterError
from ccpkh_excel.store.files import os_reason

POLL = 0.1  # seconds between two tries while waiting
YOUNG = 5.0  # an empty lock younger than this may be one being written (fallback without hard links)
TAKEOVER_STALE = 30.0  # a takeover lock older than this was left by a killed run
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO}


def lock_path(master: Path) -> Path:
    return master.parent / f".{master.name}.ccpkh-lock"


def user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some systems
        return "?"


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as written in the lock file."""

    host: str
    pid: int | None
    user: str
    since: str
    raw: str = ""
    unreadable: bool = False  # a read error, not an empty file: never taken for a dead run

    @classmethod
    def parse(cls, raw: str) -> Holder:
        lines = raw.split("\n")
        get = lambda i: lines[i].strip() if len(lines) > i else ""  # noqa: E731
        pid = get(1)
        return cls(get(0), int(pid) if pid.isdigit() else None, get(2) or "?", get(3) or "?", raw)

    def describe(self) -> str:
        return f"máy {self.host or '?'}, người dùng {self.user}, từ lúc {self.since}"

    def is_dead(self) -> bool:
        """True when this lock can only have been left by a run that no longer exists."""
        if self.unreadable:
            return False
        if not self.host or self.pid is None:
            return True  # empty or unreadable
        return self.host == socket.gethostname() and not process_alive(self.pid)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this computer."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() != 87  # ERROR_INVALID_PARAMETER: no such process; else (denied) alive
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:
        return False
    return True


class RunLock:
    """The lock of one master for one run. `acquire` waits up to `wait` seconds."""

    def __init__(self, master: Path):
        self.master = Path(master)
        self.path = lock_path(self.master)
        self.held = False
        self.taken_over: Holder | None = None  # the dead run whose lock this run took over

    # -- acquiring ------------------------------------------------------------------------
    def acquire(self, wait: float = 0.0) -> RunLock:
        deadline = time.monotonic() + max(0.0, wait or 0.0)
        while True:
            if self._create():
                return self
            holder = self._read()
            if holder is not None and holder.is_dead() and self._old_enough(holder) and self._take_over(holder):
                return self
            if time.monotonic() >= deadline:
                who = holder.describe() if holder is not None else "không rõ"
                raise MasterBusyError(
                    f"đang được một lần chạy khác giữ ({who}). Chờ lần chạy đó xong rồi thử lại, hoặc chạy với "
                    f"--wait GIÂY để tự chờ; nếu chắc không còn ai chạy, xóa tệp {self.path.name}.",
                    self.master,
                )
            time.sleep(POLL)

    def _content(self) -> str:
        return f"{socket.gethostname()}\n{os.getpid()}\n{user_name()}\n{times.now():%d/%m/%Y %H:%M:%S}\n"

    def _create(self) -> bool:
        """Put our lock in place if none is there; the file is never seen half written."""
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
        try:
            try:
                with open(tmp, "x", encoding="utf-8") as fh:
                    fh.write(self._content())
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise self._cannot(exc) from exc
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno in _NO_SPACE:
                    raise self._cannot(exc) from exc
                # no hard links here (FAT/exFAT, some NAS shares: EPERM, EINVAL, ENOTSUP …)
                if not self._create_without_link():
                    return False
        finally:
            tmp.unlink(missing_ok=True)
        self.held = True
        return True

    def _create_without_link(self) -> bool:
        """For file systems without hard links: exclusive create, then write (removed again
        if the write fails, so no empty lock is left behind)."""
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        except OSError as exc:
            raise self._cannot(exc) from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self._content())
        except OSError as exc:
            self.path.unlink(missing_ok=True)
            raise self._cannot(exc) from exc
        return True

    def _cannot(self, exc: OSError) -> MasterError:
        return MasterError(
            f"không tạo được tệp khóa {self.path.name} ({os_reason(exc)}); chưa làm gì với sổ.", self.master
        )

    def _read(self) -> Holder | None:
        try:
            raw = self.path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return None  # released meanwhile: try again
        except OSError:  # cannot read it now (shared folder, antivirus): someone holds it, alive
            return Holder("?", None, "?", "?", raw="\x00unreadable", unreadable=True)
        return Holder.parse(raw)

    def _old_enough(self, holder: Holder) -> bool:
        if holder.host:
            return True
        try:
            return time.time() - self.path.stat().st_mtime > YOUNG
        except OSError:
            return False

    def _take_over(self, dead: Holder) -> bool:
        """Replace a dead run's lock by ours; of several runs trying, one succeeds."""
        guard = self.path.with_name(self.path.name + ".takeover")
        try:
            fd = os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                if time.time() - guard.stat().st_mtime > TAKEOVER_STALE:
                    guard.unlink(missing_ok=True)
            except OSError:
                pass
            return False
        os.close(fd)
        try:
            again = self._read()
            if again is None or again.raw != dead.raw:
                return False  # someone else took it meanwhile
            self.path.unlink(missing_ok=True)
            if self._create():
                self.taken_over = dead
                return True
            return False
        finally:
            guard.unlink(missing_ok=True)

    # -- releasing ------------------------------------------------------------------------
    def release(self) -> None:
        """Remove our lock; a reader holding it open for a moment (Windows) is waited for."""
        if not self.held:
            return
        self.held = False
        for attempt in range(50):
            try:
                holder = self._read()
                if holder is None or holder.pid != os.getpid() or holder.host != socket.gethostname():
                    return
                self.path.unlink(missing_ok=True)
                return
            except OSError:
                time.sleep(0.05 * (attempt + 1) if attempt < 10 else 0.5)
        # still there: the next run takes it over as a dead run's lock (the pid is gone by then)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
