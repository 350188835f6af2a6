"""Fault injection: every write the process makes (opening a file for writing, each write to
it, fsync, link, replace, sendfile) is an event; `Faults(fail_at=k, errno=…)` makes the k-th
event raise OSError as a full disk, a file too large or a refused permission would."""

from __future__ import annotations

import builtins
import errno as errnos
import io
import os
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
    events: list[tuple] = field(default_factory=list)
    _files: int = 0

    def event(self, kind: str, name: str, ident: int = 0, nth: int = 0) -> None:
        index = len(self.events)
        self.events.append((kind, os.path.basename(str(name)), ident, nth))
        if index == self.fail_at:
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
        """The events worth failing at: every non-write event, and the first, middle and last
        write of each file."""
        writes: dict[int, list[int]] = {}
        chosen = []
        for i, (kind, _, ident, _) in enumerate(self.events):
            if kind == "write":
                writes.setdefault(ident, []).append(i)
            else:
                chosen.append(i)
        for idx in writes.values():
            chosen += {idx[0], idx[len(idx) // 2], idx[-1]}
        return sorted(set(chosen))
