"""Write a minimal Compound File (OLE2) with one stream: the container of legacy .doc/.xls
files, so the importer's refusal of them is tested on the real format, not a name."""

import struct

FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0" if name else b""
    return (
        raw.ljust(64, b"\0")
        + struct.pack("<HBB", len(raw), kind, 1)
        + struct.pack("<III", NOSTREAM, NOSTREAM, child)
        + b"\0" * 16
        + struct.pack("<I", 0)
        + b"\0" * 16
        + struct.pack("<IQ", start, size)
    )


def write_cfb(path, stream_name: str = "WordDocument", size: int = 4096) -> None:
    data = (b"\xec\xa5" + b"\0" * (size - 2))[:size]  # a Word binary starts with 0xA5EC
    nsect = (size + 511) // 512
    fat = [FATSECT, END] + [3 + i for i in range(nsect - 1)] + [END]
    fat += [FREE] * (128 - len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIII", 0, 1, 1, 0)  # dir sectors, FAT sectors, first dir sector, txn
        + struct.pack("<IIIII", 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    directory = _entry("Root Entry", 5, 1, END, 0) + _entry(stream_name, 2, NOSTREAM, 2, size)
    directory += _entry("", 0, NOSTREAM, 0, 0) * 2
    with open(path, "wb") as fh:
        fh.write(header)
        fh.write(struct.pack("<128I", *fat))
        fh.write(directory)
        fh.write(data.ljust(nsect * 512, b"\0"))
