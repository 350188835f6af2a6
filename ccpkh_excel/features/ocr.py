"""Scans (a PDF without text, .png/.jpg/.tif) read by Tesseract with its Vietnamese model.

Each page is straightened (the angle that makes the rows of ink sharpest, within ±2°), its
table found from the ruling lines (long runs of dark pixels, found with Pillow and a regular
expression over each pixel row: no numpy), the lines erased, the page read once by Tesseract
(`image_to_data`, words with their boxes) and each word put in the cell its centre falls in. A
cell without the line on its left (or above) is part of a merged cell, as Word reads them.
Text outside the tables comes back as lines (for a programme without a table).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ccpkh_excel.domain.vntext import clean
from ccpkh_excel.errors import SourceError

DPI = 300
MAX_PIXELS = 120_000_000  # a page at 600 dpi on A3 is ~70 MP
MAX_PAGES = 200
MAX_SIDE = 3600  # pixels on a page's long side when a PDF page is rendered (A4 at 300 dpi: 3,508)
LANG = "vie"


@dataclass
class ScanResult:
    grids: list[tuple[list, str, int]] = field(default_factory=list)  # (rows of (lines, origin), where, page)
    lines: list[str] = field(default_factory=list)
    pages: int = 0
    uncertain: list[tuple[int, str]] = field(default_factory=list)  # (page, word) read with low confidence


def tesseract_ready() -> str | None:
    """None when Tesseract and its Vietnamese model are installed, else what is missing (Vietnamese)."""
    import pytesseract

    try:
        langs = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, OSError):
        return "chưa cài Tesseract OCR (gói tesseract-ocr và tesseract-ocr-vie)"
    if LANG not in langs:
        return "Tesseract chưa có bộ nhận dạng tiếng Việt (gói tesseract-ocr-vie)"
    return None


def _pages(path: Path) -> Iterator[tuple[int, int, object]]:
    """(number, count, image) of each page of a scanned PDF or image file."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with open(path, "rb") as fh:
        is_pdf = fh.read(4) == b"%PDF"
    if is_pdf:
        import pdfplumber

        with pdfplumber.open(str(path)) as pdf:
            n = len(pdf.pages)
            if n > MAX_PAGES:
                raise SourceError(f"bản quét có {n} trang, quá giới hạn {MAX_PAGES} trang.", path)
            for i, page in enumerate(pdf.pages, start=1):
                # 300 dpi for an A4 page; a page declared larger (some scanners write 72 dpi) is
                # rendered to the same ~3,500 pixels on its long side, not to a giant image
                long_side = max(page.width, page.height) / 72 * DPI
                resolution = DPI * min(1.0, MAX_SIDE / long_side) if long_side else DPI
                yield i, n, page.to_image(resolution=resolution).original
                page.flush_cache()
        return
    try:
        img = Image.open(path)
        n = getattr(img, "n_frames", 1)
        if n > MAX_PAGES:
            raise SourceError(f"bản quét có {n} trang, quá giới hạn {MAX_PAGES} trang.", path)
        for i in range(n):
            img.seek(i)
            frame = img.copy()
            dpi = frame.info.get("dpi", (DPI, DPI))[0] or DPI
            if dpi and dpi < 250:  # a low-resolution scan: Tesseract reads better at about 300 dpi
                scale = min(3.0, DPI / float(dpi))
                frame = frame.resize((int(frame.width * scale), int(frame.height * scale)), Image.LANCZOS)
            yield i + 1, n, frame
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise SourceError(f"không mở được ảnh quét ({exc.__class__.__name__}); tệp có bị hỏng không?", path) from None


# --- straightening and ruling lines ----------------------------------------------------------
def _binary(img, threshold: int = 160):
    return img.point(lambda v: 0 if v < threshold else 255, mode="L")


def _sharpness(img) -> float:
    from PIL import Image

    rows = list(img.resize((1, img.height), Image.BOX).getdata())
    return float(sum((a - b) ** 2 for a, b in zip(rows, rows[1:], strict=False)))


def skew_angle(gray) -> float:
    """The angle (degrees) to rotate the page by so its lines are level (±2°)."""
    from PIL import Image

    small = gray.resize((max(1, gray.width // 3), max(1, gray.height // 3)), Image.BILINEAR)
    small = _binary(small, 200)

    def score(a: float) -> float:
        return _sharpness(small.rotate(a, resample=Image.NEAREST, fillcolor=255))

    best = max((a / 4 for a in range(-8, 9)), key=score)
    return max((best + a / 40 for a in range(-10, 11)), key=score)


def _runs(img, min_len: int, gap: int = 10, density: float = 0.75) -> list[tuple[int, int, int]]:
    """(row, start, end) of each run of dark pixels at least `min_len` long, row by row; a run
    may have gaps of up to `gap` light pixels (a line JPEG or a copier broke) as long as
    `density` of it is dark — a row through text is mostly light."""
    w = img.width
    data = img.tobytes()
    pattern = re.compile(rb"\x00(?:\x00|[^\x00]{1,%d}(?=\x00))*" % gap)
    seed = b"\x00" * 12
    out = []
    for y in range(img.height):
        row = data[y * w : (y + 1) * w]
        if row.count(0) < min_len * density or seed not in row:
            continue
        for m in pattern.finditer(row):
            a, b = m.span()
            if b - a >= min_len and row.count(0, a, b) >= density * (b - a):
                out.append((y, a, b))
    return out


def _cluster(
    runs: list[tuple[int, int, int]], gap: int = 8, thickest: int | None = None
) -> list[tuple[int, list[tuple[int, int]]]]:
    """Runs on neighbouring rows (within `gap`) merged into lines: (position, [(start, end), …]);
    a band thicker than `thickest` is dropped (a row of dense text, not a ruling line)."""
    groups: list[list[tuple[int, int, int]]] = []
    for run in sorted(runs):
        if groups and run[0] - groups[-1][-1][0] <= gap:
            groups[-1].append(run)
        else:
            groups.append([run])
    out = []
    for g in groups:
        if thickest is not None and g[-1][0] - g[0][0] > thickest:
            continue
        merged: list[list[int]] = []
        for _, s, e in sorted(g, key=lambda r: r[1]):
            if merged and s <= merged[-1][1] + 8:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        weight = sum(e - s for _, s, e in g)
        pos = round(sum(y * (e - s) for y, s, e in g) / weight) if weight else g[0][0]
        out.append((pos, [(s, e) for s, e in merged]))
    return out


@dataclass
class _Rules:
    horizontal: list[tuple[int, list[tuple[int, int]]]]  # y, x spans
    vertical: list[tuple[int, list[tuple[int, int]]]]  # x, y spans


def ruling_lines(binary) -> _Rules:
    """The table's horizontal and vertical lines (long dark runs; text strokes are shorter)."""
    from PIL import Image, ImageFilter

    thick = binary.filter(ImageFilter.MinFilter(3))  # a line a little out of level stays one run
    h = _cluster(_runs(thick, max(120, binary.width // 12)), thickest=max(16, binary.height // 160))
    v = _cluster(_runs(thick.transpose(Image.TRANSPOSE), max(60, binary.height // 60), gap=4))
    return _Rules(h, v)


def _covers(spans: list[tuple[int, int]], a: int, b: int, share: float = 0.6) -> bool:
    covered = sum(max(0, min(e, b) - max(s, a)) for s, e in spans)
    return covered >= share * (b - a)


@dataclass
class _Table:
    rows: list[int]  # y of each horizontal line, top to bottom
    cols: list[int]  # x of each vertical line, left to right
    rules: _Rules


def tables(rules: _Rules) -> list[_Table]:
    """Tables as bands between horizontal lines, closed left and right by vertical lines."""
    out: list[_Table] = []
    hs = [h for h in rules.horizontal if sum(e - s for s, e in h[1]) > 0]
    vs = rules.vertical
    if len(hs) < 2 or len(vs) < 2:
        return out
    current: list[int] = [hs[0][0]]
    for (y0, _), (y1, _) in zip(hs, hs[1:], strict=False):
        inside = [x for x, spans in vs if _covers(spans, y0, y1, 0.5)]
        if len(inside) >= 2:
            current.append(y1)
        else:
            if len(current) >= 2:
                out.append(_Table(current, [], rules))
            current = [y1]
    if len(current) >= 2:
        out.append(_Table(current, [], rules))
    hmap = dict(rules.horizontal)
    for t in out:
        xs = sorted(x for x, spans in vs if _covers(spans, t.rows[0], t.rows[-1], 0.3))
        t.cols = xs
        # a row line runs across at least one whole column; a shorter dark run is text
        inner = [
            y
            for y in t.rows[1:-1]
            if any(_covers(hmap.get(y, []), a, b, 0.8) for a, b in zip(xs, xs[1:], strict=False))
        ]
        t.rows = [t.rows[0], *inner, t.rows[-1]]
    return [t for t in out if len(t.cols) >= 3]


# --- reading ---------------------------------------------------------------------------------
def _erase(gray, rules: _Rules):
    from PIL import ImageDraw

    img = gray.copy()
    draw = ImageDraw.Draw(img)
    for y, spans in rules.horizontal:
        for a, b in spans:
            draw.rectangle([a - 2, y - 5, b + 2, y + 5], fill=255)
    for x, spans in rules.vertical:
        for a, b in spans:
            draw.rectangle([x - 5, a - 2, x + 5, b + 2], fill=255)
    return img


@dataclass
class _Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    line: tuple[int, int, int]

    @property
    def center(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2


_JUNK_EDGES = re.compile(r"^[_`ˆ'\"“”‘’|~^]+|[_`ˆ'\"“”‘’|~^]+$")


def _words(img, source: Path) -> list[_Word]:
    import pytesseract

    try:
        data = pytesseract.image_to_data(
            img, lang=LANG, config="--psm 3", output_type=pytesseract.Output.DICT, timeout=300
        )
    except pytesseract.TesseractNotFoundError:
        raise SourceError(
            "đây là bản quét, cần Tesseract OCR để đọc nhưng máy chưa cài (gói tesseract-ocr, tesseract-ocr-vie).",
            source,
        ) from None
    except (pytesseract.TesseractError, RuntimeError) as exc:
        raise SourceError(f"Tesseract không đọc được bản quét ({clean(str(exc))[:120]}).", source) from None
    out = []
    for i, text in enumerate(data["text"]):
        text = _JUNK_EDGES.sub("", clean(text))
        if not text or not any(ch.isalnum() for ch in text):
            continue  # specks read as _ ' ˆ . -
        out.append(
            _Word(
                text,
                data["left"][i],
                data["top"][i],
                data["width"][i],
                data["height"][i],
                float(data["conf"][i]),
                (data["block_num"][i], data["par_num"][i], data["line_num"][i]),
            )
        )
    return out


def _lines_of(words: list[_Word]) -> list[str]:
    """Words grouped into lines (Tesseract's lines, then by height), top to bottom."""
    groups: dict[tuple[int, int, int], list[_Word]] = {}
    for w in words:
        groups.setdefault(w.line, []).append(w)
    rows = sorted(groups.values(), key=lambda ws: (min(w.top for w in ws), min(w.left for w in ws)))
    merged: list[list[_Word]] = []
    for ws in rows:  # two Tesseract lines at the same height in one cell are one line
        top = sum(w.center[1] for w in ws) / len(ws)
        if merged:
            prev = merged[-1]
            ptop = sum(w.center[1] for w in prev) / len(prev)
            if abs(top - ptop) < 0.5 * max(w.height for w in ws):
                prev.extend(ws)
                continue
        merged.append(list(ws))
    return [clean(" ".join(w.text for w in sorted(ws, key=lambda w: w.left))) for ws in merged]


def _cell_text(img, box: tuple[int, int, int, int]) -> list[str]:
    """A cell Tesseract's page layout left empty but that has ink (a lone "2" in the STT
    column, say), read on its own as one line."""
    import pytesseract

    x0, y0, x1, y1 = box
    if x1 - x0 < 24 or y1 - y0 < 24:
        return []
    crop = img.crop((x0 + 6, y0 + 6, x1 - 6, y1 - 6))
    hist = _binary(crop).histogram()
    if hist[0] < 30:  # no ink
        return []
    bbox = _binary(crop).point(lambda v: 255 - v).getbbox()
    if bbox is None:
        return []
    from PIL import ImageOps

    piece = ImageOps.expand(crop.crop(bbox), border=20, fill=255)
    try:
        text = pytesseract.image_to_string(piece, lang=LANG, config="--psm 7", timeout=60)
    except (pytesseract.TesseractError, RuntimeError):
        return []
    lines = []
    for raw in text.splitlines():
        words = [_JUNK_EDGES.sub("", w) for w in raw.split()]
        line = clean(" ".join(w for w in words if any(ch.isalnum() for ch in w)))
        if line:
            lines.append(line)
    return lines


def _grid(table: _Table, words: list[_Word], img=None) -> tuple[list, list[_Word]]:
    """Rows of cells for one table, and the words outside it."""
    ys, xs, rules = table.rows, table.cols, table.rules
    nr, nc = len(ys) - 1, len(xs) - 1
    hmap = dict(rules.horizontal)
    vmap = dict(rules.vertical)

    def vline(j: int, r: int) -> bool:  # the line left of column j, in band r
        return _covers(vmap.get(xs[j], []), ys[r], ys[r + 1], 0.5)

    def hline(r: int, c: int) -> bool:  # the line above row r, over column c
        return _covers(hmap.get(ys[r], []), xs[c], xs[c + 1], 0.8)

    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for r in range(nr):
        for c in range(nc):
            if c > 0 and not vline(c, r):
                owner[(r, c)] = owner[(r, c - 1)]
            elif r > 0 and not hline(r, c):
                owner[(r, c)] = owner[(r - 1, c)]
            else:
                owner[(r, c)] = (r, c)
    cells: dict[tuple[int, int], list[_Word]] = {}
    outside = []
    for w in words:
        x, y = w.center
        if not (xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]):
            outside.append(w)
            continue
        r = max(i for i in range(nr) if ys[i] <= y)
        c = max(j for j in range(nc) if xs[j] <= x)
        cells.setdefault(owner[(r, c)], []).append(w)
    rows = []
    for r in range(nr):
        row = []
        for c in range(nc):
            o = owner[(r, c)]
            if o not in cells and o == (r, c) and img is not None:
                end_r = max(rr for (rr, cc), oo in owner.items() if oo == o) + 1
                end_c = max(cc for (rr, cc), oo in owner.items() if oo == o) + 1
                rescued = _cell_text(img, (xs[c], ys[r], xs[end_c], ys[end_r]))
                cells[o] = []
                if rescued:
                    cells[o] = [_Word(" ".join(rescued), xs[c], ys[r], 1, 1, 50.0, (0, 0, 0))]
            lines = _lines_of(cells.get(o, []))
            # covered by a horizontal merge: not the origin; under a vertical merge: the text again
            row.append((lines, o[1] == c))
        rows.append(row)
    return rows, outside


def read_page(image, source: Path, number: int) -> tuple[list[tuple[list, str, int]], list[str], list[tuple[int, str]]]:
    """One page: its tables as grids, its other text as lines, the words read with low confidence."""
    from PIL import Image, ImageFilter, ImageOps

    gray = ImageOps.exif_transpose(image).convert("L")
    angle = skew_angle(gray)
    if abs(angle) >= 0.02:
        gray = gray.rotate(angle, resample=Image.BICUBIC, fillcolor=255, expand=False)
    rules = ruling_lines(_binary(gray, 200))  # before any filter: a thin ruling line is faint
    found = tables(rules)
    gray = gray.filter(ImageFilter.MedianFilter(3))  # specks out, for Tesseract
    clear = _erase(gray, rules) if found else gray
    words = _words(clear, source)
    grids = []
    rest = words
    for n, t in enumerate(found, start=1):
        rows, rest = _grid(t, rest, clear)
        grids.append((rows, f"trang {number}, bảng {n}", number))
    lines = _lines_of(rest)
    uncertain = [(number, w.text) for w in words if 0 <= w.conf < 40 and any(ch.isalnum() for ch in w.text)]
    return grids, lines, uncertain


def read_scan(path: Path, progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Read every page of a scan by OCR; `progress(done, total)` after each page."""
    missing = tesseract_ready()
    if missing:
        raise SourceError(f"đây là bản quét, nhưng {missing}.", path)
    out = ScanResult()
    for number, total, image in _pages(path):
        try:
            grids, lines, uncertain = read_page(image, path, number)
        except SourceError:
            raise
        except (ValueError, OSError, MemoryError) as exc:  # a page Pillow or Tesseract cannot handle
            raise SourceError(f"không đọc được trang {number} của bản quét ({exc.__class__.__name__}).", path) from None
        out.grids.extend(grids)
        out.lines.extend(lines)
        out.uncertain.extend(uncertain)
        out.pages = total
        if progress is not None:
            progress(number, total)
    return out
