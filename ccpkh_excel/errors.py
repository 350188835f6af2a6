"""One exception hierarchy; every message is a whole Vietnamese sentence for a clerk."""

from __future__ import annotations

from pathlib import Path


class CcpkhError(Exception):
    """Base of every expected failure. `exit_code` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        self.reason = message
        if self.path is not None:
            message = f"Tệp {self.path.name}: {message}"
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)


class SourceError(CcpkhError):
    """A file to import or merge cannot be read as what it claims to be."""


class MasterError(CcpkhError):
    """The master workbook is missing, unreadable or not laid out as expected."""


class MasterLockedError(MasterError):
    """The master workbook is open in Excel/LibreOffice, or another run holds it."""


class MasterBusyError(MasterLockedError):
    """Another run of ccpkh-excel holds the master (its run lock)."""


def library_failure(exc: BaseException) -> bool:
    """Whether `exc` is a reading library's failure on a damaged or hostile file: any
    Exception, and the panic of a Rust library — pyo3's PanicException (python-calamine)
    derives from BaseException, so `except Exception` would let it stop a whole batch."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"
