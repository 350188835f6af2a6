"""Fault injection: every write the process makes (opening a file for writing, each write to
it, fsync, link, replace, rename, sendfile) is an event; `Faults(fail_at=k, errno=…)` makes the
k-th event raise OSError as a full disk, a file too large or a refused permission would;
with `sticky=True` every event from the k-th on fails too, as a disk that stays full does.

Each event also records its *site* (see `_stack`): the line of our code that writes, or, for
a write a library makes for us, the library function that makes it and our function above
it. `sites()` picks the first event of every site and the first and last write of every file
(of the first and the last where many are written alike, a form per unit): every write in our
code, each way the libraries below it write (a zip's local header, its data, its central
directory…), a file's start and its end."""

from __future__ import annotations

import builtins
import errno as errnos
import io
import os
import sys
from dataclasses import dataclass, field

_WRITE_MODES = set("wax+")


class _File:
    """A file object whose writes are events."""

    def __init__(self, inner, faults: Faults, ident: int, name: str):
        self._inner, self._faults, self._ident, self._name = inner, faults, ident, name
        self._n = 0

    def write(self, data):
        self._n += 1
        self._faults.event("write", self._name, self._ident, self._n)
        return self._inner.write(data)

    def __enter__(self):
        self._inner.__enter__()
        return self

    def __exit__(self, *exc):
        return self._inner.__exit__(*exc)

    def __iter__(self):
        return iter(self._inner)

    def __getattr__(self, name):
        return getattr(self._inner, name)


@dataclass
class Faults:
    fail_at: int | None = None
    errno: int = errnos.ENOSPC
    sticky: bool = False
    events: list[tuple] = field(default_factory=list)
    stacks: list[tuple] = field(default_factory=list)
    _files: int = 0

    def event(self, kind: str, name: str, ident: int = 0, nth: int = 0) -> None:
        index = len(self.events)
        self.events.append((kind, os.path.basename(str(name)), ident, nth))
        if self.fail_at is None:
            self.stacks.append(_stack())
        elif index == self.fail_at or (self.sticky and index > self.fail_at):
            raise OSError(self.errno, os.strerror(self.errno), str(name))

    def install(self, monkeypatch) -> Faults:
        real_open, real_os_open = io.open, os.open

        def fake_open(file, mode="r", *args, **kwargs):
            if isinstance(file, int) or not (_WRITE_MODES & set(mode)):
                return real_open(file, mode, *args, **kwargs)
            self.event("open", file)
            self._files += 1
            return _File(real_open(file, mode, *args, **kwargs), self, self._files, os.path.basename(str(file)))

        def fake_os_open(path, flags, *args, **kwargs):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                self.event("os.open", path)
            return real_os_open(path, flags, *args, **kwargs)

        def wrap(kind, real):
            def inner(*args, **kwargs):
                self.event(kind, args[0] if args else "")
                return real(*args, **kwargs)

            return inner

        monkeypatch.setattr(builtins, "open", fake_open)
        monkeypatch.setattr(io, "open", fake_open)
        monkeypatch.setattr(os, "open", fake_os_open)
        for name in ("fsync", "link", "replace", "rename", "sendfile"):
            if hasattr(os, name):
                monkeypatch.setattr(os, name, wrap(name, getattr(os, name)))
        return self

    def sites(self) -> list[int]:
        """The events worth failing at (of a run recorded without `fail_at`): the first event
        of every distinct site (kind of event and the code that made it), and the first and
        last write of every file — of the first and last file only, where many files are
        written the same way (a form per unit)."""
        seen: set[tuple] = set()
        writes: dict[int, list[int]] = {}
        chosen = []
        for i, ((kind, _, ident, _), stack) in enumerate(zip(self.events, self.stacks, strict=True)):
            if kind == "write":
                writes.setdefault(ident, []).append(i)
            if (kind, stack) not in seen:
                seen.add((kind, stack))
                chosen.append(i)
        alike: dict[tuple, list[list[int]]] = {}  # files by the site of their first write
        for idx in writes.values():
            alike.setdefault(self.stacks[idx[0]], []).append(idx)
        for files in alike.values():
            for idx in {id(f): f for f in (files[0], files[-1])}.values():
                chosen += [idx[0], idx[-1]]
        return sorted(set(chosen))

    def where(self, index: int) -> str:
        """An event and the innermost lines of its site, for a failing test's message."""
        kind, name, _, nth = self.events[index]
        lines = " ← ".join(f"{os.path.basename(f)}:{n}" for f, n in self.stacks[index][:4]) if self.stacks else ""
        return f"{kind} {name}" + (f" (lần ghi {nth})" if nth else "") + (f" tại {lines}" if lines else "")


_HERE = os.path.abspath(__file__)
_OURS = os.sep + "ccpkh_excel" + os.sep


def _stack() -> tuple[tuple[str, int | str], ...]:
    """Where an event comes from. A write our code makes itself: (file, line). One a library
    makes for it (zipfile, openpyxl, shutil, tempfile): (file, function) of the library code
    that made the call — a zip's local header, its data, its header rewritten, its central
    directory — and (file, function) of the innermost ccpkh_excel code above it."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == _HERE:
        frame = frame.f_back
    if frame is None:
        return ()
    if _OURS in frame.f_code.co_filename:
        return ((frame.f_code.co_filename, frame.f_lineno),)
    out: list[tuple[str, int | str]] = [(frame.f_code.co_filename, frame.f_code.co_name)]
    while frame is not None:
        if _OURS in frame.f_code.co_filename:
            out.append((frame.f_code.co_filename, frame.f_code.co_name))
            break
        frame = frame.f_back
    return tuple(out)
