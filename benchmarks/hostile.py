"""The hostile corpus: build every kind of bad return a unit (or an attacker) can send, merge
the whole folder with the real command in its own process, and print what happened.

    python benchmarks/hostile.py [--keep DIR]

Prints, per file: what it is, the outcome and reason; then the totals the issue asks for —
files tried, refused with a reason, results lost (good returns whose rows are missing: must
be 0), rows counted that should not be (must be 0), the merge's peak memory and time.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook

MB = 1024 * 1024


def _rewrite_zip(path: Path, replace: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts.update(replace)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _edit_form(path: Path, edit) -> Path:
    """The form sheet's XML of `path` rewritten by `edit` (str → str)."""
    part = _form_part(path)
    with zipfile.ZipFile(path) as z:
        xml = z.read(part).decode()
    _rewrite_zip(path, {part: edit(xml).encode()})
    return path


def _form_part(path: Path) -> str:
    from ccpkh_excel.store.xlsxfast import sheet_paths

    with zipfile.ZipFile(path) as z:
        return sheet_paths(z)["Báo cáo"]


def _fill(path: Path, answers: dict[str, tuple]) -> Path:
    wb = load_workbook(path)
    ws = wb["Báo cáo"]
    r = 8
    while ws.cell(row=r, column=1).value:
        for i, v in enumerate(answers.get(ws.cell(row=r, column=1).value, ())):
            ws.cell(row=r, column=6 + i, value=v)
        r += 1
    wb.save(path)
    return path


def _meta(path: Path, **values) -> Path:
    wb = load_workbook(path)
    for row in wb["_ccpkh"].iter_rows():
        if row[0].value in values:
            row[1].value = values[row[0].value]
    wb.save(path)
    return path


def _bomb(path: Path) -> Path:
    """The form with its sheet replaced by one that inflates to 1 GiB (a few MB on disk)."""
    part = _form_part(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist() if i.filename != part}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
        with z.open(part, "w", force_zip64=True) as fh:
            fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            fh.write(b'<row r="8"><c r="H8" t="inlineStr"><is><t>')
            chunk = b"x" * (16 * MB)
            for _ in range(64):
                fh.write(chunk)
            fh.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


def build(folder: Path) -> tuple[Path, dict[str, tuple[str, str, bool]]]:
    """A sample master with forms sent, and the corpus: file → (what it is, unit, is good)."""
    import ccpkh_excel as cc

    master = folder / "so.xlsx"
    cc.init_master(master, sample=True)
    gen = cc.generate(master, "Quý I/2026", folder / "gui", due=date.today() + timedelta(days=30))
    forms = {f.code: f.file for f in gen.files}
    inbox = folder / "nhan"
    inbox.mkdir()
    done = ("Hoàn thành", date(2026, 3, 20), "Đã thực hiện", "", "")
    corpus: dict[str, tuple[str, str, bool]] = {}

    def take(code: str, name: str) -> Path:
        target = inbox / name
        shutil.copy(forms[code], target)
        return target

    codes = list(forms)
    plan_codes = [t.code for t in cc.read_plan(master).tasks]
    answers = {c: done for c in plan_codes}
    good = [codes[0], codes[1]]
    for c in good:
        _fill(take(c, f"tot_{c}.xlsx"), answers)
        corpus[f"tot_{c}.xlsx"] = ("phiếu điền đúng", c, True)

    f = _fill(take(codes[2], "sua_noi_dung_tinh_lai_hash.xlsx"), answers)
    wb = load_workbook(f)
    wb["Báo cáo"]["C8"] = "Nội dung bị sửa"
    for row in wb["_ccpkh"].iter_rows():
        if row[0].value == "signature":
            row[1].value = hashlib.sha256(b"attacker").hexdigest()
    wb.save(f)
    corpus[f.name] = ("sửa nội dung khóa, tính lại mã băm", codes[2], False)

    f = _meta(_fill(take(codes[3], "doi_nhan_don_vi.xlsx"), answers), unit=codes[4])
    corpus[f.name] = ("đổi nhãn sang đơn vị khác", codes[3], False)

    f = _meta(_fill(take(codes[5], "phieu_cu_v1.xlsx"), answers), version="1")
    corpus[f.name] = ("phiếu mẫu cũ (chưa ký)", codes[5], False)

    f = _fill(take(codes[6], "them_NV999.xlsx"), answers)
    wb = load_workbook(f)
    ws = wb["Báo cáo"]
    r = 8
    while ws.cell(row=r + 1, column=1).value:
        r += 1
    ws.insert_rows(r + 1)
    for col, v in enumerate(["NV999", "99", "Việc không có", "Chủ trì", "Quý I/2026", "Hoàn thành"], 1):
        ws.cell(row=r + 1, column=col, value=v)
    wb.save(f)
    corpus[f.name] = ("thêm dòng NV999 'Hoàn thành'", codes[6], True)  # the rest of the file is good

    f = _bomb(take(codes[7], "bom_zip_1GiB.xlsx"))
    corpus[f.name] = ("bom zip: một ô 1 GiB", codes[7], False)

    f = take(codes[8], "o_qua_dai.xlsx")  # written as XML: openpyxl would cut it at 32,767 itself
    part = _form_part(f)
    with zipfile.ZipFile(f) as z:
        xml = z.read(part).decode()
    cell = '<c r="H8" t="inlineStr"><is><t>' + "x" * 40_000 + "</t></is></c>"
    xml = re.sub(r'<c r="H8"[^>]*?(/>|>.*?</c>)', cell, xml, count=1, flags=re.S)
    _rewrite_zip(f, {part: xml.encode()})
    corpus[f.name] = ("ô 40.000 ký tự", codes[8], False)

    f = take(codes[9], "vung_XFD1048576.xlsx")
    part = _form_part(f)
    with zipfile.ZipFile(f) as z:
        xml = z.read(part).decode()
    xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
    xml = xml.replace(
        "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    )
    _rewrite_zip(f, {part: xml.encode()})
    corpus[f.name] = ("khai vùng XFD1048576", codes[9], False)

    f = take(codes[10], "100000_dong.xlsx")
    part = _form_part(f)
    with zipfile.ZipFile(f) as z:
        xml = z.read(part).decode()
    rows = "".join(
        f'<row r="{r}"><c r="C{r}" t="inlineStr"><is><t>thêm {r}</t></is></c></row>' for r in range(200, 100_200)
    )
    xml = re.sub(r"</sheetData>", rows + "</sheetData>", xml, count=1)
    _rewrite_zip(f, {part: xml.encode()})
    corpus[f.name] = ("thêm 100.000 dòng", codes[10], False)

    f = inbox / "khong_phai_excel.xlsx"
    f.write_bytes(b"day la van ban thuong" * 100)
    corpus[f.name] = ("không phải tệp Excel", "", False)

    f = take(codes[11], "cong_thuc_khong_gia_tri.xlsx")
    part = _form_part(f)
    with zipfile.ZipFile(f) as z:
        xml = z.read(part).decode()
    xml = re.sub(
        r'<c r="H8"[^>]*?(/>|>.*?</c>)', '<c r="H8"><f>HYPERLINK("http://x")</f></c>', xml, count=1, flags=re.S
    )
    _rewrite_zip(f, {part: xml.encode()})
    corpus[f.name] = ("công thức gõ vào ô chữ, không có giá trị", codes[11], True)

    # two that passed the check before 03/12/2026: a cell started inside H8's text (each piece
    # under the limit, python-calamine reads them as one 60,000-character text), and a cell
    # tag with an empty prefix, "<:c", at XFD1048576 (python-calamine aborts the process)
    cell = '<c r="H8" t="inlineStr"><is><t>' + "x" * 30_000 + '<c r="Z8"/>' + "y" * 30_000 + "</t></is></c>"
    f = _edit_form(
        _fill(take(codes[12], "o_long_trong_o.xlsx"), answers),
        lambda xml: re.sub(r'<c r="H8"[^>]*?(/>|>.*?</c>)', cell, xml, count=1, flags=re.S),
    )
    corpus[f.name] = ("ô lồng trong ô: 60.000 ký tự thành hai mẩu", codes[12], False)

    far = '<row r="1048576"><:c r="XFD1048576"><v>1</v></:c></row></sheetData>'
    f = _edit_form(
        _fill(take(codes[13], "the_khong_tien_to_XFD1048576.xlsx"), answers),
        lambda xml: xml.replace("</sheetData>", far),
    )
    corpus[f.name] = ("thẻ ô '<:c' ở XFD1048576", codes[13], False)

    # python-calamine reserves room for the declared strings on opening: 96 GB, and it aborts
    f = _fill(take(codes[14], "bang_chuoi_4_ty.xlsx"), answers)
    sst = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="4000000000"/>'
    _rewrite_zip(f, {"xl/sharedStrings.xml": sst.encode()})
    corpus[f.name] = ("bảng chuỗi khai 4 tỷ chuỗi", codes[14], False)

    # the same table under a name python-calamine finds and the check did not (case ignored)
    f = _fill(take(codes[15], "bang_chuoi_ten_chu_hoa.xlsx"), answers)
    _rewrite_zip(f, {"xl/SharedStrings.xml": sst.encode()})
    corpus[f.name] = ("bảng chuỗi 4 tỷ chuỗi, tên phần viết hoa", codes[15], False)
    return master, corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="ccpkh-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    master, corpus = build(folder)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "ccpkh_excel", "merge", str(master), str(folder / "nhan")],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    import ccpkh_excel as cc

    records = cc.read_records(master)
    outcome = {}
    for r in records.returns:
        if r.file:
            outcome.setdefault(r.file, (r.outcome, r.reason))
    stored_units = {r.unit for r in records.summary}
    print("| tệp | là gì | kết quả | lý do |\n|---|---|---|---|")
    lost = counted_bad = refused = 0
    for name, (what, unit, good) in corpus.items():
        res, reason = outcome.get(name, ("(không ghi nhận)", ""))
        if res == "Bị từ chối":
            refused += 1
        if good and unit not in stored_units:
            lost += 1
        if not good and unit and unit in stored_units:
            counted_bad += 1
        print(f"| {name} | {what} | {res} | {reason[:110]} |")
    nv999 = sum(1 for r in records.summary if r.task == "NV999")
    print()
    print(
        f"Tệp thử: {len(corpus)} · bị từ chối có lý do: {refused} · kết quả bị mất: {lost} · "
        f"dòng không được tính mà bị tính: {counted_bad + nv999} · mã thoát merge: {run.returncode} · "
        f"bộ nhớ đỉnh: {peak:.0f} MB · thời gian: {elapsed:.1f} s"
    )
    if lost or counted_bad or nv999 or peak > 500:
        sys.exit(1)


if __name__ == "__main__":
    main()
