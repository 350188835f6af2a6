"""Speed of `import` on PDFs and scans (issue 11, requirement 7).

    text PDF   a DANH MỤC of N pages (seed 000's rows repeated), printed by LibreOffice;
               `ccpkh-excel import` timed as a clerk runs it (a new process, imports included)
    scan       P of those pages rendered at 200 dpi by pdftoppm, turned 0.7°, specked, saved as
               JPEG, put in a PDF of images; OCR seconds per page

Usage:

    python benchmarks/import_bench.py                 # 10-page text PDF, 3 scanned pages
    python benchmarks/import_bench.py --pages 20 --scan-pages 5 --keep work/

Targets: a 10-page text PDF in under 10 s; OCR under 30 s a page on a 2-core machine.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def build_pdf(folder: Path, pages: int) -> tuple[Path, int]:
    """A DANH MỤC long enough to print on `pages` landscape pages (or a little more)."""
    from docx_builder import add_table, new_document
    from seeds import HEADER_000, SEED_000

    from ccpkh_excel.features.documents.rendering import convert
    from ccpkh_excel.features.pdf_tables import page_count

    rows_per_page = 3.4
    n = int(pages * rows_per_page)
    while True:
        rows = [(str(i + 1), *SEED_000[i % len(SEED_000)][1:5]) for i in range(n)]
        rows = [(r[0], f"{r[1]} (lần {i // len(SEED_000) + 1})", *r[2:]) for i, r in enumerate(rows)]
        doc = new_document("nfc")
        doc.add_paragraph("DANH MỤC")
        add_table(doc, HEADER_000, rows, "nfc")
        docx = folder / "danh_muc.docx"
        doc.save(docx)
        pdf = convert(docx, "pdf", folder)
        got = page_count(pdf)
        if got >= pages:
            return pdf, len(rows)
        n = int(n * pages / max(got, 1)) + 2


def scan_pdf(pdf: Path, pages: int, folder: Path) -> Path:
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", "2", "-l", str(pages + 1), str(pdf), str(folder / "p")], check=True
    )
    images = []
    for i, png in enumerate(sorted(folder.glob("p-*.png"))):
        rnd = random.Random(i)
        img = Image.open(png).convert("L").rotate(0.7, resample=Image.BICUBIC, fillcolor=255, expand=True)
        px = img.load()
        for _ in range(img.width * img.height // 500):
            px[rnd.randrange(img.width), rnd.randrange(img.height)] = rnd.choice((0, 80, 190))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=60)
        buf.seek(0)
        images.append(Image.open(buf).convert("L"))
    out = folder / "quet.pdf"
    images[0].save(out, save_all=True, append_images=images[1:], resolution=200)
    return out


def units_master(path: Path) -> Path:
    from ccpkh_excel import write_plan
    from ccpkh_excel.domain.plan import Plan
    from ccpkh_excel.domain.sample import INFO, sample_units

    write_plan(Plan(info=dict(INFO), units=sample_units()), path)
    return path


def timed_import(source: Path, master: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ccpkh_excel", "import", str(source), str(master)], capture_output=True, text=True
    )
    return time.perf_counter() - start, proc.returncode, proc.stdout.splitlines()[0] if proc.stdout else proc.stderr


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=10)
    ap.add_argument("--scan-pages", type=int, default=3)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="ccpkh-import-bench-")) if args.keep is None else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from ccpkh_excel.features.pdf_tables import page_count

        pdf, rows = build_pdf(folder, args.pages)
        seconds, code, line = timed_import(pdf, units_master(folder / "so_pdf.xlsx"))
        print(f"text PDF: {page_count(pdf)} pages, {rows} rows: {seconds:.2f} s (exit {code}) — {line}")
        if args.scan_pages:
            from ccpkh_excel.features.importing import import_plan

            scan = scan_pdf(pdf, args.scan_pages, folder)
            master = units_master(folder / "so_quet.xlsx")
            marks = [time.perf_counter()]
            report = import_plan(scan, master, progress=lambda d, t: marks.append(time.perf_counter()))
            per_page = [b - a for a, b in zip(marks, marks[1:], strict=False)]
            print(
                f"scan: {len(per_page)} pages, {len(report.table.tasks)} tasks, exit {report.exit_code}; "
                f"OCR s/page: {', '.join(f'{s:.1f}' for s in per_page)} (mean {sum(per_page) / len(per_page):.1f})"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
