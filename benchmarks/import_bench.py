"""Speed of `import` on PDFs and scans (issue 11, requirement 7).

    text PDF   a DANH MỤC of N pages (seed 000's rows repeated), printed by LibreOffice;
               `ccpkh-excel import` timed as a clerk runs it (a new process, imports included)
    scan       P of those pages rendered at 200 dpi by pdftoppm, turned 0.7°, specked, saved as
               JPEG, put in a PDF of images; OCR seconds per page

    seeds      the three seed plans printed, every page scanned (degraded as above) and imported
               by OCR: how many tasks get their lead right, against the text PDF's import

Usage:

    python benchmarks/import_bench.py                 # 10-page text PDF, 3 scanned pages
    python benchmarks/import_bench.py --pages 20 --scan-pages 5 --keep work/
    python benchmarks/import_bench.py --seeds         # also the three seeds, every page by OCR

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
    images = degrade_pages(pdf, folder, 2, pages + 1)
    out = folder / "quet.pdf"
    images[0].save(out, save_all=True, append_images=images[1:], resolution=200)
    return out


def units_master(path: Path, department: bool = False) -> Path:
    from ccpkh_excel import write_plan
    from ccpkh_excel.domain.plan import Plan
    from ccpkh_excel.domain.sample import INFO, sample_units
    from ccpkh_excel.domain.units import Unit

    units = sample_units()
    if department:  # Sở Khoa học và Công nghệ's phòng (seed 003)
        from seeds import UNITS_003

        units = [Unit(c, n, [a for a in al.split("; ") if a], g.split("; ")) for c, n, al, g in UNITS_003] + units
    path.unlink(missing_ok=True)
    write_plan(Plan(info=dict(INFO), units=units), path)
    return path


def degrade_pages(pdf: Path, folder: Path, first: int, last: int):
    from PIL import Image

    stem = folder / f"{pdf.stem}_p"
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", str(first), "-l", str(last), str(pdf), str(stem)], check=True
    )
    images = []
    for i, png in enumerate(sorted(folder.glob(f"{stem.name}-*.png"))):
        rnd = random.Random(i)
        angle = (0.7, -0.5, 0.9, -0.8, 0.3, 0.6, -0.4)[i % 7]
        img = Image.open(png).convert("L").rotate(angle, resample=Image.BICUBIC, fillcolor=255, expand=True)
        px = img.load()
        for _ in range(img.width * img.height // 500):
            px[rnd.randrange(img.width), rnd.randrange(img.height)] = rnd.choice((0, 80, 190))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=60)
        buf.seek(0)
        images.append(Image.open(buf).convert("L"))
    return images


def seeds(folder: Path) -> None:
    """Every page of the three seeds by OCR: leads right, against the import of the text PDF."""
    from docx_builder import seed_000_docx, seed_003_docx, seed_004_docx

    from ccpkh_excel import read_plan
    from ccpkh_excel.domain.plan import resolve_task
    from ccpkh_excel.features.documents.rendering import convert
    from ccpkh_excel.features.importing import import_plan
    from ccpkh_excel.features.pdf_tables import page_count

    for seed, build in (("000", seed_000_docx), ("003", seed_003_docx), ("004", seed_004_docx)):
        pdf = convert(build(folder / f"seed_{seed}.docx"), "pdf", folder)
        n = page_count(pdf)
        images = degrade_pages(pdf, folder, 1, n)
        scan = folder / f"quet_{seed}.pdf"
        images[0].save(scan, save_all=True, append_images=images[1:], resolution=200)
        text_master = units_master(folder / f"so_{seed}_pdf.xlsx", seed == "003")
        import_plan(pdf, text_master)
        scan_master = units_master(folder / f"so_{seed}_quet.xlsx", seed == "003")
        start = time.perf_counter()
        report = import_plan(scan, scan_master)
        seconds = time.perf_counter() - start
        a, b = read_plan(text_master), read_plan(scan_master)
        right = sum(
            set(resolve_task(x, a.directory()).lead.codes) == set(resolve_task(y, b.directory()).lead.codes)
            for x, y in zip(a.tasks, b.tasks, strict=False)
        )
        stt = sum(x.stt == y.stt for x, y in zip(a.tasks, b.tasks, strict=False))
        print(
            f"seed {seed}: {n} pages by OCR in {seconds:.1f} s ({seconds / n:.1f} s/page); {len(b.tasks)}/{len(a.tasks)} "
            f"tasks, {right} with the right lead, {stt} with the right Số TT; exit {report.exit_code} "
            f"({len(report.warnings)} warnings, {len(report.problems)} problems)"
        )


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
    ap.add_argument("--seeds", action="store_true", help="also the three seeds, every page by OCR")
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
        if args.seeds:
            seeds(folder)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
