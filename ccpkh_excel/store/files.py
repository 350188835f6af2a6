"""Files beside the master: who has it open, temporary files, atomic replacement, backups.

A new master is always written to a temporary file in the master's own folder, flushed to
disk, then moved over the old one in one step (``os.replace``): a reader sees the old file or
the new one, never half of one, and a killed run leaves the old file whole. Temporary files
are named after the master (``.<tên sổ>.ccpkh-tmp-…``) so the next run can remove those of
a run that was killed. Backups are copied under a temporary name too, and renamed only when
complete: a file under a backup's name is always a whole backup.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from datetime import datetime
from pathlib import Path

from ccpkh_excel.errors import MasterError, MasterLockedError

BACKUP_DIR = "sao_luu"
KEEP_BACKUPS = 20
KEEP_ENV = "CCPKH_BACKUP_KEEP"


def os_reason(exc: OSError) -> str:
    """Why a write failed, as a clerk would say it."""
    import errno

    return {
        errno.ENOSPC: "ổ đĩa đầy",
        errno.EDQUOT: "hết hạn mức dung lượng",
        errno.EFBIG: "tệp quá lớn",
        errno.EACCES: "không có quyền ghi",
        errno.EPERM: "không có quyền ghi",
        errno.EROFS: "ổ đĩa chỉ cho đọc",
        errno.EIO: "lỗi đọc ghi ổ đĩa",
    }.get(exc.errno, f"{exc.__class__.__name__}: {exc.strerror or exc}")


# --- who has the master open ----------------------------------------------------------------
def owner_files(path: Path) -> list[Path]:
    """Files that say a person has `path` open (Excel's ~$, LibreOffice's .~lock)."""
    names = {"~$" + path.name, ".~lock." + path.name + "#"}
    if len(path.name) > 2:
        names.add("~$" + path.name[2:])
    return [path.parent / n for n in names if (path.parent / n).exists()]


def ensure_not_open(path: Path) -> None:
    if owner_files(Path(path)):
        raise MasterLockedError("đang được mở trong Excel hoặc LibreOffice. Hãy lưu, đóng tệp rồi chạy lại.", path)


def ensure_writable(path: Path) -> None:
    """A master the office made read-only is refused, never replaced."""
    path = Path(path)
    if path.exists() and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222):
        raise MasterError("chỉ cho đọc (read-only); không ghi đè. Bỏ thuộc tính chỉ đọc rồi chạy lại.", path)
    if not os.access(path.parent, os.W_OK):
        raise MasterError(f"không có quyền ghi vào thư mục '{path.parent}'.", path)


# --- temporary files ------------------------------------------------------------------------
def temp_path(master: Path, suffix: str | None = None) -> Path:
    master = Path(master)
    name = f".{master.name}.ccpkh-tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix or master.suffix}"
    return master.parent / name


def remove_temps(master: Path) -> list[Path]:
    """Remove temporary files left by killed runs on this master (call holding the run lock)."""
    master = Path(master)
    gone = []
    for p in master.parent.glob(f".{glob_escape(master.name)}.ccpkh-tmp-*"):
        try:
            p.unlink()
            gone.append(p)
        except OSError:
            pass
    folder = master.parent / BACKUP_DIR
    if folder.is_dir():  # this master's backups only: another master's may be being copied right now
        for p in folder.glob(f".{glob_escape(master.stem)}-*{glob_escape(master.suffix)}.ccpkh-tmp-*"):
            try:
                p.unlink()
            except OSError:
                pass
    return gone


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows: folders cannot be opened; NTFS journals the rename
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_atomically(tmp: Path, target: Path) -> None:
    """Move a finished temporary file over `target`: flushed first, keeping target's mode."""
    tmp, target = Path(tmp), Path(target)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    if target.exists():
        st = target.stat()
        os.chmod(tmp, st.st_mode & 0o7777)
        if hasattr(os, "chown"):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass  # only the owner's group or root may give it away
    os.replace(tmp, target)
    fsync_dir(target.parent)


def replace_with(target: Path, data: bytes) -> None:
    """Write `data` as `target`, whole or not at all: a temporary file beside it, then replaced
    (a failed write leaves the old file as it was and no temporary file)."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        replace_atomically(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- backups ------------------------------------------------------------------------------
def keep_backups() -> int:
    try:
        return max(1, int(os.environ.get(KEEP_ENV, KEEP_BACKUPS)))
    except ValueError:
        return KEEP_BACKUPS


def backup(path: Path, now: datetime | None = None, keep: int | None = None) -> Path:
    """Copy the master to sao_luu/<tên>-YYYYmmdd-HHMMSS.xlsx beside it; keep the newest `keep`."""
    path = Path(path)
    now = now or datetime.now()
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    stamp = f"{now:%Y%m%d-%H%M%S}"
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
        n += 1
    tmp = folder / f".{target.name}.ccpkh-tmp-{os.getpid()}"
    try:
        shutil.copy2(path, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    prune_backups(path, keep or keep_backups())
    return target


def backups_of(path: Path) -> list[Path]:
    """The master's backups, oldest first."""
    path = Path(path)
    folder = path.parent / BACKUP_DIR
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(path.stem) + r"-(\d{8}-\d{6})(?:-(\d+))?" + re.escape(path.suffix) + "$")
    found = []
    for p in folder.iterdir():
        if m := pattern.match(p.name):
            found.append(((m.group(1), int(m.group(2) or 0)), p))
    return [p for _, p in sorted(found)]


def prune_backups(path: Path, keep: int) -> None:
    old = backups_of(path)
    for p in old[: max(0, len(old) - keep)]:
        p.unlink(missing_ok=True)
