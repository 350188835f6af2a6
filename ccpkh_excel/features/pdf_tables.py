"""The tables and text of a PDF that has a text layer (printed from Word, or from the document
system), read with pdfplumber.

Ruled tables become the same grids a .docx gives (`importing.Grid`): a cell covered by a
horizontal merge is marked, a cell under a vertical merge repeats the text above (as Word's
vMerge reads), the lines of a cell are the lines it prints. Each page's part of a table is its
own grid, numbered by page: the importer joins the parts (the header repeated on each page is
skipped there, a row broken over two pages is joined there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ccpkh_excel.domain.vntext import clean_lines
from ccpkh_excel.errors import SourceError

# A page with fewer characters than this has no usable text layer: it is a scan.
MIN_TEXT_CHARS = 40


@dataclass
class PdfPage:
    number: int
    tables: list[list[list[tuple[list[str], bool]]]]  # rows of (lines, origin) per table
    lines: list[str]  # the text outside the tables
    chars: int
    images: int = 0  # pictures on the page (a scan under a text layer has one as large as the page)


@dataclass
class PdfContent:
    pages: list[PdfPage] = field(default_factory=list)

    @property
    def has_images(self) -> bool:
        """True when most pages carry a picture: a scan, maybe with a text layer over it."""
        return bool(self.pages) and sum(p.images > 0 for p in self.pages) * 2 >= len(self.pages)

    @property
    def has_text(self) -> bool:
        """True when most pages have a text layer (else: scans, to be read by OCR)."""
        with_text = sum(p.chars >= MIN_TEXT_CHARS for p in self.pages)
        return bool(self.pages) and with_text * 2 >= len(self.pages)


def page_count(path: Path) -> int:
    """The number of pages of a PDF (SourceError when it cannot be opened)."""
    with _open(path) as pdf:
        return len(pdf.pages)


def _open(path: Path):
    import pdfplumber

    try:
        return pdfplumber.open(str(path))
    except Exception as exc:  # pdfminer raises many kinds on a damaged or encrypted file
        name = exc.__class__.__name__
        if "Password" in name or "Encrypt" in name:
            raise SourceError("tệp PDF được đặt mật khẩu; hãy gỡ mật khẩu rồi nhập lại.", path) from None
        raise SourceError(f"tệp PDF bị hỏng, không mở được ({name}).", path) from None


def read_pdf(path: Path, max_pages: int = 500) -> PdfContent:
    """Every page's ruled tables (as rows of cells) and the text around them."""
    out = PdfContent()
    try:
        with _open(path) as pdf:
            if len(pdf.pages) > max_pages:
                raise SourceError(f"tệp PDF có {len(pdf.pages)} trang, quá giới hạn {max_pages} trang.", path)
            for page in pdf.pages:
                out.pages.append(_page(page))
                page.flush_cache()
    except SourceError:
        raise
    except Exception as exc:  # a damaged page: say so, never a traceback
        raise SourceError(f"không đọc được nội dung tệp PDF ({exc.__class__.__name__}).", path) from None
    return out


def _page(page) -> PdfPage:
    chars = len(page.chars)
    tables = page.find_tables() if chars else []
    grids = [_table_rows(t) for t in tables]
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        x = (obj["x0"] + obj["x1"]) / 2
        y = (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)

    text = page.filter(outside).extract_text() if chars else ""
    big = [
        im for im in page.images if (im["x1"] - im["x0"]) * (im["bottom"] - im["top"]) > 0.5 * page.width * page.height
    ]
    return PdfPage(page.page_number, [g for g in grids if g], clean_lines(text), chars, len(big))


def _table_rows(table) -> list[list[tuple[list[str], bool]]]:
    """Rows of (lines, origin): merged cells filled as Word's grid reads them."""
    texts = table.extract()
    cols = [c.bbox for c in table.columns]
    rows = [r.bbox for r in table.rows]
    if not cols or not rows:
        return []
    # the cell that starts at each (row, column), with its text
    starts: dict[tuple[int, int], tuple] = {}
    for r, row in enumerate(table.rows):
        for c, bbox in enumerate(row.cells):
            if bbox is not None:
                starts[(r, c)] = bbox

    def owner(r: int, c: int) -> tuple[int, int] | None:
        """The (row, column) where the cell covering (r, c) starts."""
        x = (cols[c][0] + cols[c][2]) / 2
        y = (rows[r][1] + rows[r][3]) / 2
        for (rr, cc), b in starts.items():
            if rr <= r and cc <= c and b[0] - 0.5 <= x <= b[2] + 0.5 and b[1] - 0.5 <= y <= b[3] + 0.5:
                return rr, cc
        return None

    out: list[list[tuple[list[str], bool]]] = []
    for r in range(len(rows)):
        line: list[tuple[list[str], bool]] = []
        for c in range(len(cols)):
            if (r, c) in starts:
                line.append((clean_lines(texts[r][c] or ""), True))
                continue
            o = owner(r, c)
            if o is None:
                line.append(([], True))
            elif o[0] == r:  # a horizontal merge: the column is covered
                line.append((clean_lines(texts[o[0]][o[1]] or ""), False))
            else:  # under a vertical merge: the text above, as Word's continued cell reads
                line.append((clean_lines(texts[o[0]][o[1]] or ""), o[1] == c))
        out.append(line)
    return out
