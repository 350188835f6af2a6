"""Build xl/vbaProject.bin from VBA text sources, on any OS.

A VBA project is an MS-CFB (compound file) holding, per MS-OVBA: a `PROJECT` text stream,
`PROJECTwm`, and a `VBA` storage with `dir` (the project's records, compressed), a minimal
`_VBA_PROJECT` (no compiled cache, so Office compiles the source when the workbook opens) and
one stream per module holding its source, compressed. The project references (stdole,
Office) are the ones of xlwings' BSD standalone quickstart workbook.

Sources: workbooks/vba/*.bas (our buttons' Subs), *.cls (document modules), and xlwings'
standalone module `xlwings.bas` with its `Dictionary.cls` class, read from the installed xlwings.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

# --- MS-OVBA 2.4.1 compression ----------------------------------------------------------------


def _copy_token_bits(pos: int) -> tuple[int, int]:
    """(offset bits, length mask) for a copy token at decompressed position `pos` in a chunk."""
    bit_count = max((pos - 1).bit_length(), 4)
    length_bits = 16 - bit_count
    return bit_count, (1 << length_bits) - 1


def decompress(data: bytes) -> bytes:
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    i = 1
    while i < len(data):
        header = struct.unpack_from("<H", data, i)[0]
        size = (header & 0x0FFF) + 3
        compressed = header & 0x8000
        end = i + size
        i += 2
        start = len(out)
        if not compressed:
            out += data[i : i + 4096]
            i = end
            continue
        while i < end:
            flags = data[i]
            i += 1
            for bit in range(8):
                if i >= end:
                    break
                if not flags & (1 << bit):
                    out.append(data[i])
                    i += 1
                else:
                    token = struct.unpack_from("<H", data, i)[0]
                    i += 2
                    offset_bits, length_mask = _copy_token_bits(len(out) - start)
                    length = (token & length_mask) + 3
                    offset = (token >> (16 - offset_bits)) + 1
                    for _ in range(length):
                        out.append(out[-offset])
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress with copy tokens (greedy longest match within the chunk)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start : start + 4096]
        body = bytearray()
        pos = 0
        while pos < len(chunk):
            flags = 0
            tokens = bytearray()
            for bit in range(8):
                if pos >= len(chunk):
                    break
                offset_bits, length_mask = _copy_token_bits(pos) if pos else (4, 0x0FFF)
                best_len, best_off = 0, 0
                if pos:
                    max_len = min(length_mask + 3, len(chunk) - pos)
                    window = min(pos, 1 << offset_bits)
                    needle = chunk[pos : pos + 3]
                    j = chunk.rfind(needle, pos - window, pos + 2) if len(needle) == 3 else -1
                    while j != -1 and j >= pos - window:
                        if j < pos:
                            n = 3
                            while n < max_len and chunk[j + n] == chunk[pos + n]:
                                n += 1
                            if n > best_len:
                                best_len, best_off = n, pos - j
                                if n == max_len:
                                    break
                        j = chunk.rfind(needle, pos - window, j + 2) if j > pos - window else -1
                if best_len >= 3:
                    token = ((best_off - 1) << (16 - offset_bits)) | (best_len - 3)
                    tokens += struct.pack("<H", token)
                    flags |= 1 << bit
                    pos += best_len
                else:
                    tokens.append(chunk[pos])
                    pos += 1
            body.append(flags)
            body += tokens
        if len(body) > 4096:  # incompressible: a raw chunk (only possible for full 4096-byte chunks)
            raw = chunk.ljust(4096, b"\x00")
            out += struct.pack("<H", 0x3000 | (4096 + 2 - 3)) + raw
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


# --- MS-CFB writer ----------------------------------------------------------------------------
FREE, END, FAT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
MINI_CUTOFF = 4096


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list | None = None
    start: int = END
    size: int = 0
    child: int = NOSTREAM
    right: int = NOSTREAM


def _cfb_key(name: str) -> tuple[int, str]:
    return (len(name), name.upper())


def write_cfb(tree: dict) -> bytes:
    """A compound file from {"name": bytes | {…}}: dicts are storages, bytes streams."""
    entries: list[_Entry] = [_Entry("Root Entry", 5, children=[])]

    def add(parent: _Entry, items: dict) -> None:
        for name in sorted(items, key=_cfb_key):
            value = items[name]
            if isinstance(value, dict):
                e = _Entry(name, 1, children=[])
                entries.append(e)
                parent.children.append(len(entries) - 1)
                add(e, value)
            else:
                entries.append(_Entry(name, 2, data=bytes(value)))
                parent.children.append(len(entries) - 1)

    add(entries[0], tree)
    for e in entries:  # each storage's children: a chain through right siblings, in sort order
        if e.children:
            e.child = e.children[0]
            for a, b in zip(e.children, e.children[1:], strict=False):
                entries[a].right = b
    # small streams go to the mini stream, in 64-byte sectors
    mini = bytearray()
    minifat: list[int] = []
    for e in entries:
        if e.kind == 2 and len(e.data) < MINI_CUTOFF:
            e.size = len(e.data)
            if not e.data:
                e.start = END
                continue
            e.start = len(minifat)
            n = -(-len(e.data) // 64)
            minifat += [e.start + k + 1 for k in range(n - 1)] + [END]
            mini += e.data.ljust(n * 64, b"\x00")
    big = [e for e in entries if e.kind == 2 and len(e.data) >= MINI_CUTOFF]
    sectors = lambda n: -(-n // 512)  # noqa: E731
    n_dir = sectors(len(entries) * 128)
    n_minifat = sectors(len(minifat) * 4)
    n_mini = sectors(len(mini))
    n_big = sum(sectors(len(e.data)) for e in big)
    n_fat = 1
    while n_fat * 128 < n_fat + n_dir + n_minifat + n_mini + n_big:
        n_fat += 1
    if n_fat > 109:
        raise ValueError("VBA project too large")
    fat = [FAT] * n_fat
    pos = n_fat

    def chain(count: int) -> int:
        nonlocal pos
        if not count:
            return END
        first = pos
        fat.extend(list(range(pos + 1, pos + count)) + [END])
        pos += count
        return first

    dir_start = chain(n_dir)
    minifat_start = chain(n_minifat)
    root = entries[0]
    root.start, root.size = chain(n_mini), len(mini)
    for e in big:
        e.start, e.size = chain(sectors(len(e.data))), len(e.data)
    fat += [FREE] * (n_fat * 128 - len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIII", 0, n_fat, dir_start, 0)
        + struct.pack("<IIIII", MINI_CUTOFF, minifat_start if n_minifat else END, n_minifat, END, 0)
        + b"".join(struct.pack("<I", i) for i in range(n_fat))
        + struct.pack("<I", FREE) * (109 - n_fat)
    )
    dirs = bytearray()
    for e in entries:
        raw = e.name.encode("utf-16-le") + b"\0\0"
        dirs += raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), e.kind, 1)
        dirs += struct.pack("<III", NOSTREAM, e.right, e.child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
        dirs += struct.pack("<IQ", e.start if e.kind != 1 else 0, e.size if e.kind != 1 else 0)
    body = bytearray(header)
    body += b"".join(struct.pack("<I", v) for v in fat)
    body += dirs.ljust(n_dir * 512, b"\0")
    body += b"".join(struct.pack("<I", v) for v in minifat).ljust(n_minifat * 512, b"\xff")
    body += bytes(mini).ljust(n_mini * 512, b"\0")
    for e in big:
        body += e.data.ljust(sectors(len(e.data)) * 512, b"\0")
    return bytes(body)


# --- the VBA project ----------------------------------------------------------------------------
@dataclass
class Module:
    name: str
    source: str  # as stored: Attribute lines first, CRLF line ends
    kind: str  # "standard", "class" or "document"


def escape_vietnamese(text: str) -> str:
    """Non-ASCII letters as \\uXXXX escapes; they may only stand inside U("…") calls."""
    import re

    for line in text.split("\n"):
        outside = re.sub(r'U\("[^"]*"\)', "", line)
        if any(ord(c) > 127 for c in outside):
            raise ValueError(f'non-ASCII text outside U("…") in VBA source: {line.strip()[:60]}')
    return "".join(c if ord(c) < 128 else f"\\u{ord(c):04X}" for c in text)


def module_from_file(path: Path, kind: str | None = None) -> Module:
    """A module from an exported .bas/.cls text file (the .cls export header dropped)."""
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    if path.parent == sources_dir():
        text = escape_vietnamese(text)
    lines = text.split("\n")
    if lines and lines[0].startswith("VERSION 1.0 CLASS"):
        end = lines.index("END")
        lines = lines[end + 1 :]
    name = next(line.split('"')[1] for line in lines if line.startswith("Attribute VB_Name"))
    if kind is None:
        kind = "class" if path.suffix.lower() == ".cls" else "standard"
    return Module(name, "\r\n".join(lines).rstrip("\r\n") + "\r\n", kind)


def _rec(rid: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def _base_records(base_dir: bytes) -> tuple[bytes, bytes]:
    """(PROJECTINFORMATION records, REFERENCES records) of a base project's dir stream."""
    i = 0
    info_end = refs_end = None
    while i < len(base_dir):
        rid, size = struct.unpack_from("<HI", base_dir, i)
        if rid == 0x0009:  # PROJECTVERSION: size field is 4, payload 6 bytes
            size = 6
        if rid == 0x000F and refs_end is None:  # PROJECTMODULES starts
            refs_end = i
            break
        if rid in (0x0016, 0x0033, 0x000D, 0x000E, 0x0030, 0x002F) and info_end is None:
            info_end = i
        i += 6 + size
    return base_dir[:info_end], base_dir[info_end:refs_end]


def _codepage(info: bytes) -> str:
    i = 0
    while i < len(info):
        rid, size = struct.unpack_from("<HI", info, i)
        if rid == 0x0003:
            return f"cp{struct.unpack_from('<H', info, i + 6)[0]}"
        i += 6 + (6 if rid == 0x0009 else size)
    return "cp1252"


def build_project(modules: list[Module], base_vba: bytes) -> bytes:
    """vbaProject.bin holding `modules`, with the base project's information and references."""
    import olefile

    base = olefile.OleFileIO(io.BytesIO(base_vba))
    info, refs = _base_records(decompress(base.openstream("VBA/dir").read()))
    cp = _codepage(info)
    project_text = base.openstream("PROJECT").read().decode(cp)
    mods = bytearray()
    mods += _rec(0x000F, struct.pack("<H", len(modules))) + _rec(0x0013, struct.pack("<H", 0xFFFF))
    streams = {}
    for m in modules:
        name = m.name.encode(cp)
        uname = m.name.encode("utf-16-le")
        mods += _rec(0x0019, name) + _rec(0x0047, uname)
        mods += _rec(0x001A, name) + _rec(0x0032, uname)
        mods += _rec(0x001C, b"") + _rec(0x0048, b"")
        mods += _rec(0x0031, struct.pack("<I", 0))  # source at the stream's start: no compiled cache
        mods += _rec(0x001E, struct.pack("<I", 0)) + _rec(0x002C, struct.pack("<H", 0xFFFF))
        mods += _rec(0x0021 if m.kind == "standard" else 0x0022, b"")
        mods += struct.pack("<HI", 0x002B, 0)
        streams[m.name] = compress(m.source.encode(cp, errors="replace"))
    dir_stream = info + refs + bytes(mods) + struct.pack("<HI", 0x0010, 0)
    head, _, rest = project_text.partition('Name="')
    head_lines = [line for line in head.split("\r\n") if line.startswith("ID=")]
    for m in modules:
        if m.kind == "document":
            head_lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            head_lines.append(f"Class={m.name}")
        else:
            head_lines.append(f"Module={m.name}")
    tail = 'Name="' + rest.split("[Workspace]")[0]
    workspace = "[Workspace]\r\n" + "".join(f"{m.name}=0, 0, 0, 0, C\r\n" for m in modules)
    project = "\r\n".join(head_lines) + "\r\n" + tail + workspace
    wm = b"".join(m.name.encode(cp) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules) + b"\0\0"
    tree = {
        "PROJECT": project.encode(cp),
        "PROJECTwm": wm,
        "VBA": {"dir": compress(dir_stream), "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00", **streams},
    }
    return write_cfb(tree)


# --- our project ---------------------------------------------------------------------------------
def sources_dir() -> Path:
    from ccpkh_excel.resources import workbooks_dir

    return workbooks_dir() / "vba"


def xlwings_sources() -> tuple[Path, Path, bytes]:
    """xlwings' standalone module, its Dictionary class, and the quickstart project (base)."""
    try:
        import xlwings
    except ImportError:
        from ccpkh_excel.errors import CcpkhError

        raise CcpkhError(
            'Sổ có nút bấm (.xlsm) cần gói xlwings. Cài thêm: pip install "ccpkh-excel[excel]" '
            "(hoặc tạo sổ .xlsx, dùng dòng lệnh)."
        ) from None

    root = Path(xlwings.__file__).parent
    with zipfile.ZipFile(root / "quickstart_standalone.xlsm") as z:
        base = z.read("xl/vbaProject.bin")
    return root / "xlwings.bas", root / "addin" / "Dictionary.cls", base


def project_modules() -> list[Module]:
    ours = sources_dir()
    mods = [module_from_file(ours / "ThisWorkbook.cls", "document"), module_from_file(ours / "Sheet1.cls", "document")]
    mods += [module_from_file(p) for p in sorted(ours.glob("*.bas"))]
    xw_bas, dictionary, _ = xlwings_sources()
    mods += [module_from_file(xw_bas), module_from_file(dictionary, "class")]
    return mods


def build_vba_project() -> bytes:
    return build_project(project_modules(), xlwings_sources()[2])
