"""Bounded input: every file from outside (a unit's return, a plan to import, a Word template)
is measured before python-calamine, openpyxl, python-docx or docxtpl opens it.

A file is refused — `SourceError` naming the file (and the part, sheet or cell), nothing read
from it kept — when it is:

* bigger on disk than `max_file_bytes` (20 MB);
* a zip (every .xlsx/.docx is one) with more than `max_members` parts (10.000), a part that
  expands to more than `max_part_bytes` (100 MB), a part over 1 MB that expands more than
  `max_ratio` times (200:1; a "zip bomb"), more than `max_total_bytes` in all (300 MB), or a
  part whose content does not match its declared size or checksum. Declared sizes are checked
  from the central directory without decompressing; the real guard is `iter_member`/`read_member`,
  which stop as soon as more than `max_part_bytes` come out, whatever the header says;
* a workbook whose worksheet claims (`<dimension>`, a cell, a merged range) a column beyond
  `max_columns` (200) or an area (rows × columns from A1) beyond `max_cells` (500.000 cells —
  the size python-calamine/openpyxl would build in memory), holds values in more rows than
  allowed (`max_rows`, 100.000; callers pass the file's own number, e.g. the unit's tasks + 200),
  or has a cell (inline string, shared string or value) longer than `max_cell_chars` (32.767,
  Excel's own limit) — or a cell (a shared string) started inside another, which no writer
  makes and python-calamine would read as one text with the cell around it;
* a Word document with a paragraph or table cell longer than `max_paragraph_chars`
  (1.000.000 characters), table rows beyond `max_rows`, a table row wider than `max_columns`,
  or a part with more than `max_elements` XML elements (1.000.000).

XML is streamed in 1 MB chunks (no tree is built, a DTD is refused): a byte-level pre-screen
proves an ordinary part clear, and an exact expat scan decides (and names the cell) when it
cannot. Memory stays bounded by a few chunks (`read_member` aside, which returns the part);
time is a few seconds per 100 MB of XML at most, and a refusal comes as soon as the fault is met.

Settable limits: construct `Limits(...)` directly, or `Limits.from_env()` reads

    CCPKH_MAX_FILE_MB   size of the file on disk, in MB (default 20)
    CCPKH_MAX_PART_MB   expanded size of any part of a zip, in MB (default 100; the total
                        allowed becomes at least three times this)
    CCPKH_MAX_RATIO     expansion ratio of a part over 1 MB (default 200)
    CCPKH_MAX_ROWS      rows holding values / table rows when the caller gives no number
                        (default 100000)

(1 MB = 1.048.576 bytes, as Windows shows file sizes.)

Wiring: call `check(path, limits, max_rows=…)` (or `check_file` + `check_sheet`/`check_docx`)
before any library opens the file; it raises `SourceError` or returns the kind ("xlsx",
"docx", or "other" for a file that is not a zip — only its size was checked).
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import compress, repeat
from operator import itemgetter, not_
from pathlib import Path
from xml.parsers import expat

from ccpkh_excel.domain.vntext import thousands
from ccpkh_excel.errors import CcpkhError, SourceError
from ccpkh_excel.store.xlsxfast import col_letter

MB = 1024 * 1024
CHUNK = 1 << 20

__all__ = [
    "Limits",
    "check",
    "check_docx",
    "check_file",
    "check_sheet",
    "iter_member",
    "read_member",
]


@dataclass(frozen=True)
class Limits:
    """What a file from outside may hold. Every field is settable; see the module docstring."""

    max_file_bytes: int = 20 * MB
    max_part_bytes: int = 100 * MB
    max_ratio: float = 200
    ratio_floor_bytes: int = 1 * MB  # the ratio is only checked for parts expanding beyond this
    max_total_bytes: int = 300 * MB
    max_members: int = 10_000
    max_cell_chars: int = 32_767
    max_rows: int = 100_000
    max_columns: int = 200
    max_cells: int = 500_000
    max_paragraph_chars: int = 1_000_000
    max_elements: int = 1_000_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults, overridden by CCPKH_MAX_FILE_MB, CCPKH_MAX_PART_MB, CCPKH_MAX_RATIO, CCPKH_MAX_ROWS."""
        env = os.environ if environ is None else environ
        out = cls()
        changes: dict[str, float] = {}
        for var, field, unit, whole in (
            ("CCPKH_MAX_FILE_MB", "max_file_bytes", MB, False),
            ("CCPKH_MAX_PART_MB", "max_part_bytes", MB, False),
            ("CCPKH_MAX_RATIO", "max_ratio", 1, False),
            ("CCPKH_MAX_ROWS", "max_rows", 1, True),
        ):
            raw = (env.get(var) or "").strip()
            if not raw:
                continue
            try:
                value = float(raw.replace(",", "."))
                if whole and not value.is_integer():
                    raise ValueError(raw)
            except ValueError:
                value = -1
            if not value > 0 or value == float("inf"):
                raise CcpkhError(f"biến môi trường {var}={raw!r} không hợp lệ: cần một số dương.")
            changes[field] = int(value * unit) if field != "max_ratio" else value
        if "max_part_bytes" in changes:
            changes["max_total_bytes"] = max(out.max_total_bytes, 3 * int(changes["max_part_bytes"]))
        return replace(out, **changes)


# --- numbers the way a Vietnamese clerk reads them -------------------------------------------
_n = thousands


def _size(x: float, digits: int = 1) -> str:
    """25,3 MB / 812 KB / 640 byte."""
    for unit, name in ((MB, "MB"), (1024, "KB")):
        if x >= unit:
            s = f"{x / unit:.{digits}f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{s} {name}"
    return f"{int(x)} byte"


def _sizes(a: float, b: float) -> tuple[str, str]:
    """Two sizes written so that they do not read the same."""
    digits = 1
    while _size(a, digits) == _size(b, digits) and digits < 6:
        digits += 1
    return _size(a, digits), _size(b, digits)


def _limits(limits: Limits | None) -> Limits:
    return limits if limits is not None else Limits.from_env()


# --- the file and its zip directory ---------------------------------------------------------
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"


def _declared_entries(fh) -> int | None:
    """The entry count in a zip's end-of-central-directory record, read before zipfile builds
    one object per entry; None if there is no such record."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    start = max(0, size - (22 + 65535 + 20))
    fh.seek(start)
    tail = fh.read()
    i = tail.rfind(_EOCD)
    if i < 0 or len(tail) - i < 22:
        return None
    comment = struct.unpack_from("<H", tail, i + 20)[0]
    if i + 22 + comment != len(tail) or tail.find(_EOCD) != i:
        # readers differ on which directory they take (python-calamine's zip reader, Python's):
        # a file holding two could show the check one workbook and the reader another
        raise _TwoDirectories
    count = struct.unpack_from("<H", tail, i + 10)[0]
    if count == 0xFFFF and i >= 20 and tail[i - 20 : i - 16] == _ZIP64_LOCATOR:
        offset = struct.unpack_from("<Q", tail, i - 20 + 8)[0]
        if offset + 56 <= size:
            fh.seek(offset)
            rec = fh.read(56)
            if rec[:4] == b"PK\x06\x06":
                count = struct.unpack_from("<Q", rec, 32)[0]
    return count


class _TwoDirectories(Exception):
    """More than one end of a zip directory, or one that does not end the file."""


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"PK"


def check_file(path: str | Path, limits: Limits | None = None) -> None:
    """Size on disk; then, for a zip, its directory: part count, each part's declared size and
    expansion ratio, and the total — nothing is decompressed. Raises SourceError."""
    path = Path(path)
    lim = _limits(limits)
    size = _check_size(path, lim)
    if size == 0 or not _is_zip(path):
        return
    _open_checked_zip(path, lim).close()


def _check_size(path: Path, lim: Limits) -> int:
    """The file's size on disk, refused past `max_file_bytes` (a folder or a missing file too)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SourceError("không tìm thấy tệp.", path) from None
    except OSError as exc:
        raise SourceError(f"không đọc được tệp ({exc.__class__.__name__}).", path) from None
    if path.is_dir():
        raise SourceError("đây là thư mục, không phải tệp.", path)
    if size > lim.max_file_bytes:
        has, limit = _sizes(size, lim.max_file_bytes)
        raise SourceError(f"tệp nặng {has}, quá giới hạn {limit} (đặt CCPKH_MAX_FILE_MB để đổi).", path)
    return size


def _open_checked_zip(path: Path, lim: Limits) -> zipfile.ZipFile:
    """The zip opened once its directory is checked (part count, sizes, ratios); the caller closes it."""
    try:
        with open(path, "rb") as fh:
            declared = _declared_entries(fh)
    except _TwoDirectories:
        raise SourceError(
            "tệp có phần kết thư mục nén lạ (hai thư mục, hoặc không nằm ở cuối tệp); không đọc.", path
        ) from None
    if declared is None:
        raise SourceError("tệp bị hỏng, không mở được (nội dung nén không đọc được).", path)
    if declared > lim.max_members:
        raise SourceError(
            f"tệp gồm {_n(declared)} phần, quá giới hạn {_n(lim.max_members)} phần (tệp nén bất thường); không đọc.",
            path,
        )
    z = _open_zip(path)
    try:
        _check_directory(z, path, lim)
    except BaseException:
        z.close()
        raise
    return z


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, struct.error):
        raise SourceError("tệp bị hỏng, không mở được (nội dung nén không đọc được).", path) from None


class _PartTooBig(SourceError):
    """A part expanded past `max_part_bytes` while being read."""


def _bomb(name: str, lim: Limits) -> str:
    return (
        f"phần {name} giải nén ra hơn {_size(lim.max_part_bytes)} (tệp nén bất thường, có thể là 'bom zip'); không đọc."
    )


_UNICODE_EXTRAS = {0x7075, 0x6375}  # Info-ZIP Unicode path and comment


def _extra_ids(extra: bytes) -> set[int]:
    ids, i = set(), 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        ids.add(tag)
        i += 4 + size
    return ids


def _check_directory(z: zipfile.ZipFile, path: Path, lim: Limits) -> None:
    infos = z.infolist()
    if len(infos) > lim.max_members:
        raise SourceError(
            f"tệp gồm {_n(len(infos))} phần, quá giới hạn {_n(lim.max_members)} phần (tệp nén bất thường); không đọc.",
            path,
        )
    total = 0
    for info in infos:
        if _UNICODE_EXTRAS & _extra_ids(info.extra):
            # a second name for the part, which python-calamine's zip reader takes and Python's does not
            raise SourceError(
                f"phần {info.filename} mang thêm một tên khác trong tệp nén (bất thường); không đọc.", path
            )
        name, size, packed = info.filename, info.file_size, info.compress_size
        if size > lim.max_part_bytes:
            raise SourceError(_bomb(name, lim), path)
        if size > lim.ratio_floor_bytes and size > lim.max_ratio * max(packed, 1):
            ratio = size / max(packed, 1)
            raise SourceError(
                f"phần {name} nén chặt bất thường (giải nén ra gấp {_n(int(ratio))} lần, giới hạn "
                f"{_n(int(lim.max_ratio))} lần; có thể là 'bom zip'); không đọc. (Đặt CCPKH_MAX_RATIO để đổi.)",
                path,
            )
        total += size
        if total > lim.max_total_bytes:
            raise SourceError(
                f"nội dung tệp giải nén ra hơn {_size(lim.max_total_bytes)} (tệp nén bất thường, "
                "có thể là 'bom zip'); không đọc.",
                path,
            )


# --- reading a part, bounded whatever its header says ----------------------------------------
def _zpath(z: zipfile.ZipFile) -> Path | None:
    return Path(z.filename) if isinstance(z.filename, str) else None


def iter_member(
    z: zipfile.ZipFile, name: str | zipfile.ZipInfo, limits: Limits | None = None, chunk: int = CHUNK
) -> Iterator[bytes]:
    """The part `name`, decompressed in chunks; raises SourceError as soon as more than
    `max_part_bytes` come out, or when the part is damaged or does not match its header."""
    lim = _limits(limits)
    label = name.filename if isinstance(name, zipfile.ZipInfo) else name
    out = 0
    try:
        fh = z.open(name)
    except KeyError:
        raise SourceError(f"thiếu phần {label}; tệp có bị hỏng không?", _zpath(z)) from None
    except (RuntimeError, NotImplementedError):
        raise SourceError(
            f"phần {label} được mã hoá (có mật khẩu) hoặc nén theo cách không hỗ trợ; không đọc.", _zpath(z)
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, struct.error):
        raise SourceError(f"phần {label} bị hỏng; không đọc.", _zpath(z)) from None
    with fh:
        while True:
            try:
                data = fh.read(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error):
                raise SourceError(
                    f"phần {label} bị hỏng hoặc khai báo sai kích thước (tệp nén bất thường); không đọc.", _zpath(z)
                ) from None
            if not data:
                return
            out += len(data)
            if out > lim.max_part_bytes:
                raise _PartTooBig(_bomb(label, lim), _zpath(z))
            yield data


def read_member(z: zipfile.ZipFile, name: str | zipfile.ZipInfo, limits: Limits | None = None) -> bytes:
    """The whole part `name`, read in chunks and refused past `max_part_bytes` (see `iter_member`)."""
    return b"".join(iter_member(z, name, limits))


def _drain(z: zipfile.ZipFile, info: zipfile.ZipInfo, lim: Limits) -> None:
    """Decompress a part and drop it: proves its content matches its size and checksum."""
    for _ in iter_member(z, info, lim):
        pass


# --- streamed XML --------------------------------------------------------------------------
def _parse(
    z: zipfile.ZipFile,
    name: str,
    lim: Limits,
    start: Callable | None = None,
    end: Callable | None = None,
    chars: Callable | None = None,
    label: str | None = None,
    namespaces: bool = False,
    raw: Callable[[bytes], None] | None = None,
) -> None:
    """Feed part `name` to expat chunk by chunk (no tree, no DTD); `raw` sees each chunk first."""
    path = _zpath(z)
    label = label or f"phần {name}"
    p = _expat(label, path, namespaces)
    p.buffer_text = True
    p.buffer_size = 1 << 16
    if start:
        p.StartElementHandler = start
    if end:
        p.EndElementHandler = end
    if chars:
        p.CharacterDataHandler = chars
    try:
        for data in iter_member(z, name, lim):
            if raw:
                raw(data)
            p.Parse(data, False)
        p.Parse(b"", True)
    except expat.ExpatError as exc:
        raise SourceError(f"{label} bị hỏng (XML lỗi ở dòng {exc.lineno}); không đọc.", path) from None


def _local(name: str) -> str:
    """The local name of an element or attribute: after the namespace (expat's "uri local"),
    after the FIRST colon — as quick-xml, python-calamine's XML reader, reads "a:b:c" ("b:c")."""
    head, colon, tail = name.rpartition(" ")[2].partition(":")
    return tail if colon else head


# --- workbooks -------------------------------------------------------------------------------
_DIGITS = "0123456789"
_REF = re.compile(r"\$?([A-Za-z]{1,4})\$?([0-9]{1,9})$")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            return 1 << 30
        n = n * 26 + ord(ch) - 64
    return n


def _part_names(z: zipfile.ZipFile) -> dict[str, str]:
    """The zip's part names by their lower-case form: python-calamine finds a part whatever the
    case of its name (and takes "\\" for "/"), so names that would be the same to it, or that
    hold "." or ".." steps it does not resolve, are refused. Made (and checked) once per zip."""
    names = getattr(z, "_ccpkh_names", None)
    if names is None:
        names = z._ccpkh_names = _checked_names(z)  # type: ignore[attr-defined]
    return names


def _checked_names(z: zipfile.ZipFile) -> dict[str, str]:
    seen: dict[str, str] = {}
    for name in z.NameToInfo:
        steps = name.split("/")
        if "\\" in name or name.startswith("/") or any(s in (".", "..") for s in steps) or "" in steps[:-1]:
            raise SourceError(f"tệp có phần mang tên bất thường ('{name}'); không đọc.", _zpath(z))
        key = name.lower()
        if key in seen:
            raise SourceError(
                f"tệp có hai phần trùng tên khi không phân biệt chữ hoa, chữ thường ('{seen[key]}', '{name}'); "
                "không đọc.",
                _zpath(z),
            )
        seen[key] = name
    return seen


def _parts_named(z: zipfile.ZipFile, base: str) -> list[str]:
    """The parts called `base` ("styles.xml"), in any folder, case ignored."""
    return [n for low, n in _part_names(z).items() if low.rpartition("/")[2] == base]


def _find(z: zipfile.ZipFile, name: str) -> str | None:
    """The part called `name` as python-calamine finds it (case ignored), None if there is none."""
    return _part_names(z).get(name.lower())


def _rels(z: zipfile.ZipFile, part: str, lim: Limits) -> dict[str, tuple[str, str]]:
    """Relationships of `part`: Id → (type, target part name) — External ones too (python-calamine
    follows a worksheet's target whatever its mode); an Id given twice is refused."""
    folder, _, base = part.rpartition("/")
    rels_name = _find(z, f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
    out: dict[str, tuple[str, str]] = {}
    if rels_name is None:
        return out
    if z.getinfo(rels_name).file_size > CHUNK:  # read in one chunk, so `_raw_rels` sees every value whole
        raise SourceError(f"phần {rels_name} lớn bất thường; không đọc.", _zpath(z))

    def start(name, attrs):
        if _local(name) != "Relationship":
            return
        target = attrs.get("Target") or ""
        if target.startswith("/"):
            target = target.lstrip("/")
        else:
            target = posixpath.normpath(posixpath.join(folder, target)) if folder else target
        rid = attrs.get("Id") or ""
        if rid in out:
            raise SourceError(
                f"phần {rels_name} có hai liên kết cùng mã '{rid}' (tệp bất thường); không đọc.", _zpath(z)
            )
        out[rid] = (attrs.get("Type") or "", target)
        if len(out) > lim.max_members:
            raise SourceError(f"phần {rels_name} có quá nhiều liên kết (tệp bất thường); không đọc.", _zpath(z))

    _parse(z, rels_name, lim, start=start, raw=_raw_rels(rels_name, z))
    return out


# python-calamine takes a relationship's Target and Id as written (no "&…;" decoded, a tab kept),
# expat as XML means them: a value written with "&" or a tab, newline or carriage return could
# name one part to the check and another to the reader. Such a value is refused.
_ODD_RAW = re.compile(rb"""\s(?:Target|Id)\s*=\s*(?:"[^"]*[&\t\r\n][^"]*"|'[^']*[&\t\r\n][^']*')""")


def _raw_rels(rels_name: str, z: zipfile.ZipFile) -> Callable[[bytes], None]:
    def raw(data: bytes) -> None:
        if _ODD_RAW.search(data):
            raise SourceError(
                f"phần {rels_name} có liên kết viết lạ (ký tự '&', tab hoặc xuống dòng); không đọc.", _zpath(z)
            )

    return raw


def _workbook(z: zipfile.ZipFile, lim: Limits) -> tuple[list[tuple[str, str]], list[str]]:
    """[(sheet name, worksheet part)] in workbook order, and the shared-string tables."""
    wb_part = "xl/workbook.xml"
    for typ, target in _rels(z, "", lim).values():
        if typ.endswith("/officeDocument") and target.lower() != wb_part:
            # readers differ on how they find the workbook (python-calamine reads xl/workbook.xml
            # directly): a file pointing elsewhere could show the check one workbook and them another
            raise SourceError(
                "tệp trỏ tới một phần workbook khác 'xl/workbook.xml' (bất thường); không đọc.", _zpath(z)
            )
    wb_part = _find(z, wb_part)
    if wb_part is None:
        raise SourceError("không phải tệp Excel .xlsx (thiếu phần workbook).", _zpath(z))
    rels = _rels(z, wb_part, lim)
    sheets: list[tuple[str, str]] = []

    def start(name, attrs):
        if _local(name) != "sheet":
            return
        # python-calamine takes any attribute named "id" or "…:id" (xmlns:id included) as the link
        ids = [v for k, v in attrs.items() if k == "id" or k.endswith(":id")]
        if len(ids) != 1 or ids[0] not in rels:
            raise SourceError(
                f"sheet '{attrs.get('name') or ''}' khai báo {len(ids)} mã liên kết"
                + ("" if len(ids) != 1 else f" ('{ids[0]}' không có trong liên kết của workbook)")
                + " (tệp bất thường); không đọc.",
                _zpath(z),
            )
        typ, target = rels[ids[0]]
        if target:  # a worksheet, a dialog sheet…: python-calamine reads the cells of any
            sheets.append((attrs.get("name") or target, _find(z, target) or target))
        if len(sheets) > lim.max_members:
            raise SourceError("tệp có quá nhiều sheet (tệp bất thường); không đọc.", _zpath(z))

    _parse(z, wb_part, lim, start=start)  # names as written: "r:id", "xmlns:id"
    return sheets, _shared_parts(z, rels)


def _shared_parts(z: zipfile.ZipFile, rels: dict[str, tuple[str, str]]) -> list[str]:
    """The shared-string tables a reader may take: the workbook's, and any part named
    sharedStrings.xml (python-calamine opens xl/sharedStrings.xml whatever the relationships say)."""
    named = [t for typ, t in rels.values() if typ.endswith("/sharedStrings")]
    parts = [p for p in (_find(z, t) for t in named) if p]
    parts += _parts_named(z, "sharedstrings.xml")
    return list(dict.fromkeys(parts))


# --- the styles python-calamine reads on opening ---------------------------------------------
# For every cell style (<xf>) python-calamine scans its number format's whole code: a code of
# millions of characters used by a million styles kept it busy for hours (found in review,
# 03/12/2026). Excel allows codes of 255 characters and 64,000 styles; the limits leave room.
MAX_FORMAT_CODE = 2_000  # bytes as written (a character written "&#x1EA1;" takes 8)
MAX_STYLES = 65_000
_FORMAT_CODE = re.compile(rb"""\sformatCode\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XF = re.compile(rb"<(?:[^\s<>/!?:=\"']*+:)?xf[\s/>]")


def _check_styles(z: zipfile.ZipFile, part: str, lim: Limits) -> None:
    carry, styles = b"", 0
    for data in iter_member(z, part, lim):
        buf, carry = _cut_at_tag(carry + data if carry else data)
        longest = max((len(a) + len(b) for a, b in _FORMAT_CODE.findall(buf)), default=0)
        if longest > MAX_FORMAT_CODE or len(carry) > 1 << 16:
            raise SourceError(
                f"phần {part} có mã định dạng số dài hơn {_n(MAX_FORMAT_CODE)} ký tự (Excel cho tối đa 255); không đọc.",
                _zpath(z),
            )
        styles += len(_XF.findall(buf))
        if styles > MAX_STYLES:
            raise SourceError(
                f"phần {part} có hơn {_n(MAX_STYLES)} kiểu ô (Excel cho tối đa 64.000); không đọc.", _zpath(z)
            )


# --- the fast pre-screen ---------------------------------------------------------------------
# A well-formed part (expat checks it on the way, with no Python handler for elements: fast)
# with no comment, CDATA section, DTD or processing instruction (expat reports them) has a "<"
# only where a tag starts and no attribute twice. Byte-level regular expressions (run in C)
# can then prove a part clear; when they cannot (an unusual writer, a suspect file), the exact
# expat scan decides and names the cell. The pre-screen never refuses.
#
# A cell's text lies between its start tag and its end tag. The pre-screen bounds it by the
# bytes from the cell's "<c" to the next "<c", which holds only when no cell starts inside
# another: a cell nested in a cell's text would cut it into short pieces that python-calamine
# reads as one long text (found in review: 60,000 characters passed as two of 30,000). So a
# piece without its "</c>" must be a self-closing "<c …/>" — the first cell to start inside
# another leaves the piece before it without one (any "</c>" there would close that cell).
# Shared strings ("<si>") are bounded the same way. (python-calamine's XML reader is lenient —
# it takes a duplicated r="…" and "<" inside attribute values — hence the well-formedness.)


class _Patterns:
    """The byte patterns of the pre-screen, for tags written with or without a prefix ("<x:c")."""

    def __init__(self, prefix: bytes):
        p = b"<" + prefix
        self.plain = not prefix
        self.cell = re.compile(p + rb"c(?=[\s/>])")
        self.formula = re.compile(p + rb"f[\s/>]")
        self.cref = re.compile(p + rb'c\s+r="\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"')
        self.si = re.compile(p + rb"si(?=[\s/>])")
        self.end_data = re.compile(b"</" + prefix + rb"sheetData\s*>")
        self.area = re.compile(p + rb'(dimension|mergeCell)(?=[\s/>])(?:\s+ref="([A-Za-z0-9$:]{1,40})")?')
        self.cell_end = re.compile(b"</" + prefix + rb"c>")
        self.si_end = re.compile(b"</" + prefix + rb"si>")


_PLAIN = _Patterns(b"")  # what Excel, LibreOffice and openpyxl write: fast
# a prefix is any name (letters of every script: UTF-8 bytes past 0x7F), even empty, before the
# first colon: python-calamine reads "<:c" and "<é:c" as cells (the local name after that colon)
_ANY = _Patterns(rb"(?:[^\s<>/!?:=\"']*+:)?")
_PREFIXED = re.compile(rb"</?[^\s<>/!?:=\"']*+:")
# the rest of a start tag, from just after its name, when it closes itself ("<c r="A1" s="2"/>");
# quoted values may hold ">" and "/"
_SELF_CLOSED = re.compile(rb"(?:[^>\"'/]++|\"[^\"]*+\"|'[^']*+'|/(?!>))*+/>")
_DECL = re.compile(rb"(\xef\xbb\xbf)?<\?xml[^>]*?\?>")
_MAX_TAG = 1 << 16
_first, _second = itemgetter(0), itemgetter(1)
_MINUS_ONE = -1


def _expat(label: str, path: Path | None, namespaces: bool = False) -> expat.XMLParserType:
    """An expat parser that refuses a DTD (so no entity can expand)."""
    p = expat.ParserCreate(namespace_separator=" ") if namespaces else expat.ParserCreate()

    def no_dtd(*_a):
        raise SourceError(f"{label} chứa khai báo DTD (không có trong tệp Office thật); không đọc.", path)

    p.StartDoctypeDeclHandler = no_dtd
    p.EntityDeclHandler = no_dtd
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return p


class _Unusual(Exception):
    """A comment, CDATA section or processing instruction: left to the exact scan."""


def _unusual(*_a) -> None:
    raise _Unusual


def _cut_at_tag(buf: bytes) -> tuple[bytes, bytes]:
    """`buf` up to a tag its chunk cut, and that tag's beginning (to read with the next chunk)."""
    lt = buf.rfind(b"<")
    if lt >= 0 and buf.find(b">", lt) < 0:
        return buf[:lt], buf[lt:]
    return buf, b""


def _complete(z, name: str, lim: Limits) -> Iterator[bytes]:
    """The part as buffers that end between tags (a tag cut by a chunk is carried over), UTF-8
    only, checked well-formed by expat on the way, with no comment, CDATA section or
    processing instruction; b"<?" (never clear) when it cannot be."""
    carry = b""
    first = True
    wellformed = _expat(name, _zpath(z))
    wellformed.CommentHandler = wellformed.ProcessingInstructionHandler = _unusual
    wellformed.StartCdataSectionHandler = _unusual
    for data in iter_member(z, name, lim):
        try:
            wellformed.Parse(data, False)
        except (expat.ExpatError, SourceError, _Unusual):
            yield b"<?"
            return
        buf = carry + data if carry else data
        if first:
            first = False
            m = _DECL.match(buf)
            if m:
                decl = m.group(0).lower()
                if b"encoding" in decl and b'"utf-8"' not in decl and b"'utf-8'" not in decl:
                    yield b"<?"  # another encoding: leave it to expat
                    return
                buf = buf[m.end() :]
            elif not buf.lstrip().startswith(b"<"):
                yield b"<?"
                return
        buf, carry = _cut_at_tag(buf)
        if len(carry) > _MAX_TAG:
            yield b"<?"
            return
        yield buf
    try:
        wellformed.Parse(b"", True)
    except (expat.ExpatError, SourceError, _Unusual):
        yield b"<?"
        return
    if carry:
        yield carry


@functools.lru_cache(maxsize=8)
def _column_numbers(max_columns: int, as_bytes: bool) -> dict:
    """Column letters → number, up to `max_columns` (made once, read by every scan; never changed)."""
    return {(col_letter(i).encode() if as_bytes else col_letter(i)): i for i in range(1, max_columns + 1)}


def _last_start(buf: bytes, start: re.Pattern) -> int:
    """Where the last match of `start` (a tag name: "<c", "<x:si") begins in `buf`, -1 if none."""
    i = len(buf)
    while True:
        i = buf.rfind(b"<", 0, i)
        if i < 0 or start.match(buf, i):
            return i


def _pieces_clear(pieces: list[bytes], cap: int, end: re.Pattern, plain: bytes | None) -> bool:
    """`pieces`: what follows each item's start tag name ("<c", "<si") up to the next one, whole.
    True when every item is closed in its own piece (its end tag there, or a self-closing start
    tag: so none starts inside another) and no piece is longer than `cap` bytes."""
    if max(map(len, pieces)) > cap:
        return False
    if plain is not None:  # no "</c>" in the piece (found in C)
        open_ = compress(pieces, map(_MINUS_ONE.__eq__, map(bytes.find, pieces, repeat(plain))))
    else:
        open_ = compress(pieces, map(not_, map(end.search, pieces)))
    return all(map(_SELF_CLOSED.match, open_))


class _FastSheet:
    """The pre-screen of a worksheet: True when it is clear of every limit."""

    def __init__(self, lim: Limits, rows_allowed: int, texts: bool = True):
        self.lim, self.rows_allowed = lim, rows_allowed
        self.texts = texts  # False: the caller measures every text it reads (see open_checked)
        self.cap = lim.max_cell_chars
        self.cols = _column_numbers(lim.max_columns, True)
        self.carry = b""  # the last cell of a buffer, read with the next one
        self.done = False  # past </sheetData>
        self.cells = 0
        self.tags = 0
        self.rows: set[bytes] = set()
        self.max_row = self.max_col = 0
        self.merged = 0
        self.formulas = False  # a cell formula (<f>) was seen

    def run(self, buffers: Iterator[bytes]) -> bool:
        for buf in buffers:
            if not self.feed(buf):
                return False
        return self.finish()

    def feed(self, buf: bytes, last: bool = False) -> bool:
        if buf == b"<?":
            return False
        self.tags += buf.count(b"<")
        if self.tags > 2 * _sheet_elements(self.lim):
            return False
        if self.carry:
            buf, self.carry = self.carry + buf, b""
        pats = _PLAIN if _PREFIXED.search(buf) is None else _ANY
        if not self.formulas and pats.formula.search(buf):
            self.formulas = True
        if self.done:  # past the cells: only areas (a cell here is refused)
            return pats.cell.search(buf) is None and self.areas_clear(buf, pats)
        m = pats.end_data.search(buf)
        if m:
            cells, tail = buf[: m.start()], buf[m.end() :]
            self.done = True
            if pats.cell.search(tail):  # a cell after </sheetData>
                return False
        elif last:
            cells, tail = buf, b""
        else:  # cut before the last cell: every cell is read whole, with its text
            cut = _last_start(buf, pats.cell)
            if cut < 0:
                return self.areas_clear(buf, pats)
            cells, tail, self.carry = buf[:cut], b"", buf[cut:]
            if len(self.carry) > 4 * self.cap + _MAX_TAG:
                return False
        return self.cells_clear(cells, pats) and self.areas_clear(cells, pats) and self.areas_clear(tail, pats)

    def finish(self) -> bool:
        return not self.carry or self.feed(b"", last=True)

    def cells_clear(self, data: bytes, pats: _Patterns) -> bool:
        if self.texts:
            pieces = pats.cell.split(data)
            n = len(pieces) - 1
            if n == 0:
                return True
            del pieces[0]  # what comes before the first cell
            if not _pieces_clear(pieces, self.cap, pats.cell_end, b"</c>" if pats.plain else None):
                return False
        else:
            n = len(pats.cell.findall(data))
            if n == 0:
                return True
        refs = pats.cref.findall(data)
        self.cells += n
        if len(refs) != n or self.cells > self.lim.max_cells:
            return False
        for letters in set(map(_first, refs)):
            col = self.cols.get(letters.upper())
            if col is None:
                return False
            self.max_col = max(self.max_col, col)
        digits = set(map(_second, refs))
        self.rows |= digits
        self.max_row = max(self.max_row, max(map(int, digits)))
        return len(self.rows) <= self.rows_allowed and self.max_row * self.max_col <= self.lim.max_cells

    def areas_clear(self, data: bytes, pats: _Patterns) -> bool:
        if not data:
            return True
        for kind, ref in pats.area.findall(data):
            if not ref:  # written another way: the exact scan reads it
                return False
            a, _, b = ref.decode().partition(":")
            pa, pb = _parse_ref(a), _parse_ref(b or a)
            if not pa or not pb:
                return False
            far_row, far_col = max(pa[0], pb[0]), max(pa[1], pb[1])
            if far_col > self.lim.max_columns or far_row * far_col > self.lim.max_cells:
                return False
            if kind == b"mergeCell":
                self.merged += (abs(pb[0] - pa[0]) + 1) * (abs(pb[1] - pa[1]) + 1)
                if self.merged > self.lim.max_cells:
                    return False
        return True


_UNIQUE_COUNT = re.compile(rb'\suniqueCount="([0-9]{1,12})"')


def _counts_clear(buf: bytes, lim: Limits) -> bool:
    """python-calamine makes room for as many strings as the table's uniqueCount says before
    reading one (400,000,000 of them: 9.6 GB, and the process aborts): every "uniqueCount" must
    be written plainly and within the limit."""
    counts = _UNIQUE_COUNT.findall(buf)
    return len(counts) == buf.count(b"uniqueCount") and all(int(c) <= lim.max_cells for c in counts)


def _fast_shared(buffers: Iterator[bytes], lim: Limits, texts: bool = True) -> bool:
    """The pre-screen of the shared strings: no string can be over the limit (unless `texts` is
    False: the caller measures the texts it reads), not too many."""
    carry, count = b"", 0
    buffers = iter(buffers)
    while True:
        buf = next(buffers, None)
        last = buf is None
        if buf == b"<?":
            return False
        buf = carry + (buf or b"")
        if b"uniqueCount" in buf and not _counts_clear(buf, lim):
            return False
        pats = _PLAIN if _PREFIXED.search(buf) is None else _ANY
        cut = len(buf) if last else _last_start(buf, pats.si)
        if cut < 0:
            carry = buf  # no string starts yet
        else:
            buf, carry = buf[:cut], buf[cut:]
            if texts:
                pieces = pats.si.split(buf)
                count += len(pieces) - 1
                del pieces[0]
                end, plain = pats.si_end, b"</si>" if pats.plain else None
                if pieces and not _pieces_clear(pieces, lim.max_cell_chars, end, plain):
                    return False
            else:
                count += len(pats.si.findall(buf))
        if len(carry) > 4 * lim.max_cell_chars + _MAX_TAG or count > lim.max_cells:
            return False
        if last:
            return True


def _sheet_elements(lim: Limits) -> int:
    """XML elements a worksheet may have: five per cell (c, v or is/r/t) and some to spare."""
    return max(lim.max_elements, 5 * lim.max_cells)


def _parse_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref.strip())
    return (int(m.group(2)), _col_number(m.group(1))) if m else None


def _shared_strings(z: zipfile.ZipFile, part: str, lim: Limits, texts: bool = True) -> dict[int, int]:
    """Index → length of every shared string over `max_cell_chars` (counted, never kept)."""
    if _fast_shared(_complete(z, part, lim), lim, texts):
        return {}
    path = _zpath(z)
    st = {"i": -1, "n": 0, "in": False}  # every character inside a string counts, its phonetic runs too
    bad: dict[int, int] = {}
    cap = lim.max_cell_chars

    def start(name, attrs):
        k = _local(name)
        if k == "sst":
            declared = (attrs.get("uniqueCount") or "").strip()
            if (
                declared.isascii() and declared.isdigit() and int(declared) > lim.max_cells
            ):  # python-calamine makes room for them all
                raise SourceError(
                    f"bảng chuỗi dùng chung ({part}) khai báo {_n(int(declared))} chuỗi, quá giới hạn "
                    f"{_n(lim.max_cells)}; không đọc.",
                    path,
                )
        elif k == "si":
            if st["in"]:  # python-calamine would read both as one string
                raise SourceError(
                    f"bảng chuỗi dùng chung ({part}) có chuỗi lồng trong chuỗi số {_n(st['i'] + 1)} (cấu trúc XML "
                    "bất thường, Excel không tạo ra); không đọc.",
                    path,
                )
            st["in"] = True
            st["i"] += 1
            st["n"] = 0
            if st["i"] >= lim.max_cells:
                raise SourceError(
                    f"bảng chuỗi dùng chung ({part}) có hơn {_n(lim.max_cells)} chuỗi, quá lớn; không đọc.", path
                )

    def end(name):
        if _local(name) == "si":
            st["in"] = False
            if st["n"] > cap:
                bad[st["i"]] = st["n"]

    def chars(data):
        if st["in"]:
            st["n"] += len(data)

    try:
        _parse(z, part, lim, start, end, chars, label=f"bảng chuỗi dùng chung ({part})")
    except _PartTooBig:
        if st["n"] > cap:  # one string filled the whole part
            raise SourceError(
                f"chuỗi dùng chung số {_n(st['i'] + 1)} dài hơn {_n(st['n'])} ký tự, quá giới hạn "
                f"{_n(cap)} của Excel; không đọc.",
                path,
            ) from None
        raise
    return bad


class _SheetScan:
    """Expat handlers for one worksheet: positions, area, rows with values, cell lengths.

    A cell's text is every character inside it but its formula, however the elements inside
    are nested or named (python-calamine reads a value's text up to its own end tag, across
    other elements); a cell inside a cell is refused. The area is the highest row of any cell
    by the widest column of any cell, as python-calamine builds it."""

    def __init__(self, sheet: str, path: Path | None, lim: Limits, rows_allowed: int, bad_shared: dict[int, int]):
        self.sheet, self.path, self.lim = sheet, path, lim
        self.rows_allowed = rows_allowed
        self.bad_shared = bad_shared
        self.kinds: dict[str, str] = {}
        self.cols = _column_numbers(lim.max_columns, False)
        self.row = 0
        self.row_has = False
        self.rows_with_values = 0
        self.max_row = self.max_col = 0
        self.col = 0
        self.ref = ""
        self.type = ""
        self.in_cell = False
        self.values = 0  # depth inside a cell's <v> or <is>
        self.formula = 0  # depth inside a cell's <f>
        self.n = 0  # characters of the current cell's text (its formula apart)
        self.fn = 0  # characters of its formula
        self.index: list[str] | None = None  # the text of a shared-string index being read
        self.merged_area = 0
        self.elements = self.cells = 0
        self.max_elements = _sheet_elements(lim)
        self.formulas = False  # a cell formula (<f>) was seen
        self.cr = False  # the part holds a raw carriage return (seen before expat reads it)
        self.rows_open = 0

    def raw(self, data: bytes) -> None:
        if not self.cr and b"\r" in data:
            self.cr = True

    # the messages
    def fail(self, message: str) -> None:
        raise SourceError(f"sheet '{self.sheet}' {message}", self.path)

    def too_long(self, n: int, more: bool = False) -> None:
        raise SourceError(
            f"sheet '{self.sheet}', ô {self.ref}: {'hơn ' if more else ''}{_n(n)} ký tự, quá giới hạn "
            f"{_n(self.lim.max_cell_chars)} của Excel; không đọc.",
            self.path,
        )

    def kind(self, name: str) -> str:
        k = self.kinds.get(name)
        if k is None:
            k = self.kinds[name] = _local(name)
        return k

    def area(self, ref: str, rows: int, cols: int) -> None:
        lim = self.lim
        if cols > lim.max_columns:
            self.fail(
                f"có ô {ref} ở cột thứ {_n(cols)}, quá giới hạn {_n(lim.max_columns)} cột; không đọc."
                if ref
                else f"có ô ở cột thứ {_n(cols)}, quá giới hạn {_n(lim.max_columns)} cột; không đọc."
            )
        if rows * cols > lim.max_cells:
            self.fail(
                f"có ô {ref or col_letter(cols) + str(rows)}: vùng dữ liệu {_n(rows)} dòng × {_n(cols)} cột, "
                f"quá giới hạn {_n(lim.max_cells)} ô; không đọc."
            )

    def start(self, name: str, attrs: dict) -> None:
        self.elements += 1
        if self.elements > self.max_elements:
            self.fail(f"có hơn {_n(self.max_elements)} phần tử XML, quá lớn; không đọc.")
        k = self.kinds.get(name) or self.kind(name)
        if k == "row" and (self.rows_open or self.in_cell):  # python-calamine counts rows at each </row>
            self.fail(
                "có dòng nằm lồng trong dòng hoặc ô khác (cấu trúc XML bất thường, Excel không tạo ra); không đọc."
            )
        if k == "c":
            self.start_cell(attrs)
        elif not self.in_cell:
            if k == "row":
                self.rows_open += 1
                r = attrs.get("r")
                if r and not (r.isascii() and r.isdigit()):
                    self.fail(f"có dòng mang số '{r}' không hợp lệ (tệp bất thường); không đọc.")
                self.row = int(r) if r else self.row + 1
                self.col = 0
                self.row_has = False
            elif k == "dimension":
                ref = (attrs.get("ref") or "").rpartition(":")[2]
                pos = _parse_ref(ref)
                if pos and (pos[1] > self.lim.max_columns or pos[0] * pos[1] > self.lim.max_cells):
                    self.fail(f"khai báo vùng tới ô {ref}, quá lớn; không đọc.")
            elif k == "mergeCell":
                self.merge_cell(attrs.get("ref") or "")
        elif k == "f":
            self.formulas = True
            if not self.formula:
                self.fn = 0
            self.formula += 1
        elif k == "v" or k == "is":
            self.values += 1
            if k == "v" and self.type == "s" and self.bad_shared and self.index is None:
                self.index = []

    def start_cell(self, attrs: dict) -> None:
        if self.in_cell:  # python-calamine would read the outer cell's text across it
            inner = f"ô {attrs['r']}" if attrs.get("r") else "ô"
            self.fail(
                f"có {inner} nằm lồng trong ô {self.ref} (cấu trúc XML bất thường, Excel không tạo ra); không đọc."
            )
        self.in_cell = True
        self.cells += 1
        if self.cells > self.lim.max_cells:
            self.fail(f"có hơn {_n(self.lim.max_cells)} ô, quá giới hạn; không đọc.")
        r = attrs.get("r")
        if r:
            letters = r.rstrip(_DIGITS)
            digits = r[len(letters) :]
            col = self.cols.get(letters)
            if col is None:
                col = _col_number(letters.strip("$")) if letters.strip("$") else 0
            if not col or not (digits.isascii() and digits.isdigit()):
                self.ref = r
                self.fail(f"có ô mang địa chỉ '{r}' không hợp lệ (tệp bất thường); không đọc.")
            row = int(digits)
        else:
            col, row = self.col + 1, self.row
            r = f"{col_letter(col)}{row}"
        self.ref, self.col = r, col
        if col > self.max_col or row > self.max_row:
            self.max_col, self.max_row = max(col, self.max_col), max(row, self.max_row)
            if col > self.lim.max_columns:
                self.area(r, row, col)
            self.area(r, self.max_row, self.max_col)
        self.type = attrs.get("t", "")
        self.n = self.fn = self.values = self.formula = 0
        self.index = None

    def merge_cell(self, ref: str) -> None:
        a, _, b = ref.partition(":")
        pa, pb = _parse_ref(a), _parse_ref(b or a)
        if pa and pb:
            rows, cols = abs(pb[0] - pa[0]) + 1, abs(pb[1] - pa[1]) + 1
            self.merged_area += rows * cols
            far = max(pa[0], pb[0]), max(pa[1], pb[1])
            if far[1] > self.lim.max_columns or far[0] * far[1] > self.lim.max_cells:
                self.fail(f"có vùng gộp ô {ref}, quá lớn; không đọc.")
            if self.merged_area > self.lim.max_cells:
                self.fail(f"có các vùng gộp ô tổng cộng hơn {_n(self.lim.max_cells)} ô, quá lớn; không đọc.")

    def end(self, name: str) -> None:
        k = self.kinds.get(name) or self.kind(name)
        if k == "c":
            if self.n > self.lim.max_cell_chars:
                self.too_long(self.n)
            self.in_cell = False
        elif not self.in_cell:
            if k == "row":
                self.rows_open = max(0, self.rows_open - 1)
            if k == "row" and self.row_has:
                self.rows_with_values += 1
                if self.rows_with_values > self.rows_allowed:
                    self.fail(
                        f"có hơn {_n(self.rows_allowed)} dòng có dữ liệu (tới dòng {_n(self.row)}), quá giới hạn "
                        f"{_n(self.rows_allowed)} dòng của tệp này; không đọc."
                    )
        elif k == "f" and self.formula:
            self.formula -= 1
            if not self.formula and self.fn > self.lim.max_cell_chars:
                self.too_long(self.fn)
        elif (k == "v" or k == "is") and self.values:
            self.values -= 1
            if self.n > self.lim.max_cell_chars:
                self.too_long(self.n)
            if k == "v" and self.index is not None:
                text, self.index = "".join(self.index).strip(), None
                if text.isascii() and text.isdigit() and int(text) in self.bad_shared:
                    self.too_long(self.bad_shared[int(text)])

    def chars(self, data: str) -> None:
        if not self.in_cell:
            return
        if self.formula:
            self.fn += len(data)
            self.row_has = True
            return
        # expat gives "\r\n" as one "\n"; python-calamine keeps both in a value with no type
        self.n += len(data) + (data.count("\n") if self.cr else 0)
        if self.values:
            self.row_has = True
            if self.index is not None and len(self.index) < 8:
                self.index.append(data)
        # past 4× the limit: stop reading this cell, its length is no longer in doubt
        if self.n > 4 * self.lim.max_cell_chars + CHUNK:
            self.too_long(self.n, more=True)


def _scan_sheet(
    z, part: str, sheet: str, lim: Limits, rows_allowed: int, bad: dict[int, int], texts: bool = True
) -> bool:
    """Check one worksheet (raises SourceError); True when it holds a cell formula."""
    if not bad:
        fast = _FastSheet(lim, rows_allowed, texts)
        if fast.run(_complete(z, part, lim)):
            return fast.formulas
    scan = _SheetScan(sheet, _zpath(z), lim, rows_allowed, bad)
    try:
        _parse(z, part, lim, scan.start, scan.end, scan.chars, label=f"sheet '{sheet}'", raw=scan.raw)
    except _PartTooBig:
        if scan.counting and scan.n > lim.max_cell_chars:
            scan.too_long(scan.n, more=True)  # one cell filled the whole part
        raise
    return scan.formulas


def check_sheet(
    path: str | Path, limits: Limits | None = None, sheet_part: str | None = None, max_rows: int | None = None
) -> None:
    """Check an .xlsx's worksheets (all, or only `sheet_part`, e.g. "xl/worksheets/sheet1.xml")
    and its shared strings, streamed: absurd dimensions, cells, merged ranges and areas, rows
    holding values beyond `max_rows` (default `limits.max_rows`), cells over `max_cell_chars`.
    Runs `check_file` first. Raises SourceError naming the sheet and the cell."""
    path = Path(path)
    lim = _limits(limits)
    check_file(path, lim)
    if not _is_zip(path):
        raise SourceError("không phải tệp Excel .xlsx.", path)
    with _open_zip(path) as z:
        _check_xlsx(z, path, lim, sheet_part, max_rows, verify=False)


def open_checked(
    path: str | Path,
    names: list[str],
    limits: Limits | None = None,
    max_rows: int | None = None,
    formulas: set[str] | None = None,
    texts: bool = True,
) -> tuple[zipfile.ZipFile, dict[str, str]]:
    """Like `check_sheet`, for the worksheets called `names` only (those a reader will open: a
    return's "Báo cáo" and "_ccpkh"), in one pass over the zip, after `check_file`'s checks.
    Returns the zip, left open for the caller to close, and its worksheets (name → part): what
    a reader of those sheets needs next, without opening the file again. The names of the
    sheets checked that hold a cell formula are added to `formulas` (found on the way).

    `texts=False`: the caller measures every text it reads against `max_cell_chars` itself (the
    merge does, on what python-calamine gives), so the pre-screen does not: it still proves the
    cells' positions and areas, the number of strings and rows, and XML well-formed — what keeps
    the reader's memory bounded — and a text can be no longer than its part."""
    path = Path(path)
    lim = _limits(limits)
    if not _check_size(path, lim) or not _is_zip(path):
        raise SourceError("không phải tệp Excel .xlsx.", path)
    z = _open_checked_zip(path, lim)
    try:
        sheets = _check_xlsx(
            z, path, lim, None, max_rows, verify=False, only=set(names), formulas=formulas, texts=texts
        )
    except BaseException:
        z.close()
        raise
    return z, sheets


def _check_xlsx(
    z,
    path: Path,
    lim: Limits,
    sheet_part: str | None,
    max_rows: int | None,
    verify: bool,
    only: set | None = None,
    formulas: set[str] | None = None,
    texts: bool = True,
) -> dict[str, str]:
    rows_allowed = max_rows if max_rows is not None else lim.max_rows
    _part_names(z)  # the names checked first
    sheets, shared = _workbook(z, lim)
    for styles in _parts_named(z, "styles.xml"):
        _check_styles(z, styles, lim)
    found = dict(sheets)
    if only is not None:
        sheets = [(s, part) for s, part in sheets if s in only]
    bad: dict[int, int] = {}
    for table in shared:
        bad.update(_shared_strings(z, table, lim, texts))
    if sheet_part is not None:
        names = {p: s for s, p in sheets}
        if sheet_part not in z.NameToInfo:
            raise SourceError(f"thiếu phần {sheet_part}; tệp có bị hỏng không?", path)
        sheets = [(names.get(sheet_part, sheet_part), sheet_part)]
    seen = set(shared)
    with_formula: set[str] = set()  # parts: two sheet names may share one
    for sheet, part in sheets:
        if part not in z.NameToInfo:
            raise SourceError(f"thiếu phần {part} của sheet '{sheet}'; tệp có bị hỏng không?", path)
        if part in seen:
            continue
        seen.add(part)
        if _scan_sheet(z, part, sheet, lim, rows_allowed, bad, texts):
            with_formula.add(part)
    if formulas is not None:
        formulas.update(sheet for sheet, part in sheets if part in with_formula)
    if bad:
        i, n = min(bad.items())
        raise SourceError(
            f"chuỗi dùng chung số {_n(i + 1)} dài {_n(n)} ký tự, quá giới hạn {_n(lim.max_cell_chars)} của Excel; "
            "không đọc.",
            path,
        )
    if verify:
        for info in z.infolist():
            if info.filename not in seen and not info.is_dir():
                _drain(z, info, lim)
    return found


# --- Word documents ----------------------------------------------------------------------------
_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")


class _DocxScan:
    def __init__(self, part: str, path: Path | None, lim: Limits, rows_allowed: int, state: dict):
        self.part, self.path, self.lim = part, path, lim
        self.rows_allowed = rows_allowed
        self.state = state  # shared across parts: table rows and tables counted so far
        self.kinds: dict[str, str] = {}
        self.elements = 0
        self.paras: list[int] = []  # characters of each open paragraph (text boxes nest)
        self.cells: list[int] = []  # characters of each open table cell
        self.row_width: list[int] = []  # columns of each open table row
        self.tables: list[tuple[int, int]] = []  # (table number, rows so far) of each open table
        self.text = False
        self.paragraph_no = 0
        self.where = "tài liệu" if part == "word/document.xml" else f"phần {part}"

    def fail(self, message: str) -> None:
        raise SourceError(message, self.path)

    def place(self) -> str:
        if self.tables:
            t, r = self.tables[-1]
            return f"bảng {t}, dòng {r}"
        return f"đoạn văn thứ {_n(self.paragraph_no)} của {self.where}"

    def start(self, name: str, attrs: dict) -> None:
        self.elements += 1
        if self.elements > self.lim.max_elements:
            self.fail(f"phần {self.part} có hơn {_n(self.lim.max_elements)} phần tử XML, quá lớn; không đọc.")
        k = self.kinds.get(name)
        if k is None:
            k = self.kinds[name] = _local(name)
        if k == "t" or k == "delText" or k == "instrText":
            self.text = True
        elif k == "p":
            self.paras.append(0)
            if not self.tables:
                self.paragraph_no += 1
        elif k == "tc":
            self.cells.append(0)
            if self.row_width:
                self.widen(1)
        elif k == "tr":
            self.row_width.append(0)
            if self.tables:
                t, r = self.tables[-1]
                self.tables[-1] = (t, r + 1)
            self.state["rows"] += 1
            if self.state["rows"] > self.rows_allowed:
                self.fail(
                    f"các bảng trong tệp có hơn {_n(self.rows_allowed)} dòng, quá giới hạn {_n(self.rows_allowed)} "
                    "dòng của tệp này; không đọc."
                )
        elif k == "tbl":
            self.state["tables"] += 1
            self.tables.append((self.state["tables"], 0))
        elif k == "gridSpan" or k == "gridBefore" or k == "gridAfter":
            val = next((v for a, v in attrs.items() if _local(a) == "val"), "1")
            span = int(val) if val.isascii() and val.isdigit() else 1
            if span > self.lim.max_columns + 1:
                self.fail(
                    f"{self.place()}: ô gộp {_n(span)} cột, quá giới hạn {_n(self.lim.max_columns)} cột; không đọc."
                )
            if self.row_width:
                self.widen(span - 1 if k == "gridSpan" else span)

    def widen(self, n: int) -> None:
        self.row_width[-1] += n
        if self.row_width[-1] > self.lim.max_columns:
            self.fail(f"{self.place()}: hơn {_n(self.lim.max_columns)} cột, quá giới hạn; không đọc.")

    def end(self, name: str) -> None:
        k = self.kinds.get(name) or _local(name)
        if k == "t" or k == "delText" or k == "instrText":
            self.text = False
        elif k == "p":
            if self.paras:
                self.paras.pop()
        elif k == "tc":
            if self.cells:
                self.cells.pop()
        elif k == "tr":
            if self.row_width:
                self.row_width.pop()
        elif k == "tbl":
            if self.tables:
                self.tables.pop()

    def chars(self, data: str) -> None:
        if not self.text:
            return
        n = len(data)
        cap = self.lim.max_paragraph_chars
        if self.paras:
            self.paras[-1] += n
            if self.paras[-1] > cap:
                where = f"một đoạn văn ở {self.place()}" if self.tables else self.place()
                self.fail(f"{where} dài hơn {_n(cap)} ký tự (bất thường); không đọc.")
        if self.cells:
            self.cells[-1] += n
            if self.cells[-1] > cap:
                self.fail(f"ô {self.place()} dài hơn {_n(cap)} ký tự (bất thường); không đọc.")


def check_docx(path: str | Path, limits: Limits | None = None, max_rows: int | None = None) -> None:
    """Check a .docx (a plan to import, a Word template): `check_file`, then a streamed pass
    over its text parts (document, headers, footers, notes): paragraph and cell text over
    `max_paragraph_chars`, table rows beyond `max_rows` (default `limits.max_rows`), rows wider
    than `max_columns`, parts over `max_elements` elements; every other part is decompressed
    once (bounded) to prove it matches its header. Raises SourceError."""
    path = Path(path)
    lim = _limits(limits)
    check_file(path, lim)
    if not _is_zip(path):
        raise SourceError("không phải tệp Word .docx.", path)
    with _open_zip(path) as z:
        _check_docx(z, path, lim, max_rows)


def _check_docx(z, path: Path, lim: Limits, max_rows: int | None) -> None:
    if "word/document.xml" not in z.NameToInfo:
        raise SourceError("không phải tệp Word .docx (thiếu phần word/document.xml).", path)
    rows_allowed = max_rows if max_rows is not None else lim.max_rows
    state = {"rows": 0, "tables": 0}
    names = sorted(z.NameToInfo, key=lambda n: n != "word/document.xml")
    for name in names:
        info = z.NameToInfo[name]
        if info.is_dir():
            continue
        if _TEXT_PARTS.match(name):
            scan = _DocxScan(name, path, lim, rows_allowed, state)
            _parse(z, name, lim, scan.start, scan.end, scan.chars)
        else:
            _drain(z, info, lim)


# --- the one call before a library opens a file ------------------------------------------------
def check(path: str | Path, limits: Limits | None = None, max_rows: int | None = None) -> str:
    """Everything above for one file, before python-calamine / openpyxl / python-docx / docxtpl
    opens it: "xlsx" or "docx" when checked in full, "other" when the file is not a zip (only
    its size was checked; the caller says what is wrong with it). Every part of a zip is
    decompressed once, bounded, so a header that lies about a size is caught here.
    Raises SourceError."""
    path = Path(path)
    lim = _limits(limits)
    check_file(path, lim)
    if path.stat().st_size == 0 or not _is_zip(path):
        return "other"
    with _open_zip(path) as z:
        if "word/document.xml" in z.NameToInfo:
            _check_docx(z, path, lim, max_rows)
            return "docx"
        if "xl/workbook.xml" in z.NameToInfo or any(n.startswith("xl/") for n in z.NameToInfo):
            _check_xlsx(z, path, lim, None, max_rows, verify=True)
            return "xlsx"
        for info in z.infolist():
            if not info.is_dir():
                _drain(z, info, lim)
    return "other"
