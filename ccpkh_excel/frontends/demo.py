"""`ccpkh-excel demo`: the whole cycle on the bundled sample plan.

init → check → generate the Quý I/2026 form workbooks → units fill them in (only the cells
a unit may type in, as in Excel; one unit sends late, one sends a file whose locked task text
was edited, one sends a file that is not a report at all) → merge → status.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

import ccpkh_excel as api
from ccpkh_excel.domain.times import to_w3cdtf

PERIOD = "Quý I/2026"
AS_OF = date(2026, 4, 10)
MERGED_AT = datetime(2026, 4, 10, 9, 0)

# What each unit reports, by task: (status, completion date, result, difficulty, proposal)
_DONE = "Hoàn thành"
_WIP = "Đang thực hiện"
ANSWERS = {
    "SNV": {
        "NV001": (
            _DONE,
            date(2026, 3, 12),
            "Đã ban hành Kế hoạch số 45/KH-SNV ngày 12/3/2026 về tự chấm điểm Chỉ số CCHC năm 2025.",
            "",
            "",
        ),
        "NV002": (
            _DONE,
            date(2026, 3, 25),
            "Đã ban hành Kế hoạch tuyên truyền CCHC (số 52/KH-SNV) và Kế hoạch kiểm tra CCHC, công vụ (số 53/KH-SNV).",
            "",
            "",
        ),
        "NV004": (_WIP, None, "Đã xây dựng dự thảo bộ tiêu chí đánh giá; đang lấy ý kiến các sở, ngành.", "", ""),
        "NV006": ("Tạm dừng", None, "", "Chờ Bộ Nội vụ công bố Chỉ số CCHC năm 2025.", ""),
        "NV008": (
            _WIP,
            None,
            "Đã thẩm định 12/27 đề án vị trí việc làm.",
            "Một số đơn vị gửi hồ sơ chậm.",
            "Đề nghị các đơn vị gửi hồ sơ trước 30/4/2026.",
        ),
        "NV011": (_WIP, None, "Đang xây dựng dự thảo quy định thi đua, khen thưởng.", "", ""),
        "NV012": (_WIP, None, "Đã khảo sát mô hình tại 5 xã, phường.", "", ""),
    },
    "VPUBND": {
        "NV003": (
            _DONE,
            date(2026, 2, 10),
            "Đã tham mưu UBND tỉnh ban hành Kế hoạch số 21/KH-UBND ngày 10/02/2026.",
            "Ban hành chậm so với thời hạn tháng 01/2026.",
            "",
        ),
    },
    "SKHCN": {
        "NV016": (_WIP, None, "Đã hoàn thành khảo sát yêu cầu; đang nâng cấp phần mềm.", "", ""),
        "NV017": (_WIP, None, "Đã triển khai thử nghiệm tại 5 sở.", "", ""),
        "NV018": (_WIP, None, "Đang kết nối với hệ thống của Trung ương.", "Chờ hướng dẫn kỹ thuật của Bộ.", ""),
        "NV019": (
            _WIP,
            None,
            "Đã phê duyệt chủ trương đầu tư.",
            "Thiếu kinh phí.",
            "Đề nghị Sở Tài chính bố trí kinh phí năm 2026.",
        ),
    },
    "SGDDT": {
        "NV009": (_WIP, None, "Đã xây dựng phiếu khảo sát sự hài lòng.", "", ""),
        "NV007": (_WIP, None, "Đã rà soát 85 đơn vị sự nghiệp giáo dục.", "", ""),
    },
    "STC": {
        "NV014": (_DONE, date(2026, 3, 28), "Đã tổ chức Hội nghị đối thoại doanh nghiệp quý I (28/3/2026).", "", ""),
    },
    "SYT": {
        "NV010": (_WIP, None, "Đang xây dựng kế hoạch khảo sát.", "", ""),
    },
}
LATE_UNIT = "STC"  # sends its return after the deadline
TAMPERED_UNIT = "SXD"  # edits a locked task text


@dataclass
class DemoResult:
    master: Path
    merge_exit: int


def fill_return(path: Path, answers: dict[str, tuple], saved: datetime | None = None) -> None:
    """Type answers into a form workbook, only in the cells a unit may type in."""
    wb = load_workbook(path)
    ws = wb["Báo cáo"]
    r = 8
    while ws.cell(row=r, column=1).value:
        for i, v in enumerate(answers.get(ws.cell(row=r, column=1).value, ())):
            cell = ws.cell(row=r, column=6 + i)
            if cell.protection.locked is False and v not in (None, ""):
                cell.value = v
        r += 1
    wb.save(path)
    if saved:
        set_saved(path, saved)


def set_saved(path: Path, when: datetime) -> None:
    """Set the "last saved" time in docProps/core.xml, as the saving program would."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    core = parts["docProps/core.xml"].decode("utf-8")
    stamp = to_w3cdtf(when)  # `when` is local time; Office stores UTC
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", core)
    parts["docProps/core.xml"] = core.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def make_returns(sent: Path, received: Path) -> list[Path]:
    """The returns of the demo: most units answer, one late, one tampered, one foreign file."""
    received.mkdir(parents=True, exist_ok=True)
    for old in received.iterdir():
        if old.is_file():
            old.unlink()
    files = []
    for f in sorted(sent.glob("*.xlsx")):
        code = f.name.split("_", 1)[0]
        if code not in ANSWERS and code != TAMPERED_UNIT:
            continue  # this unit has not answered yet
        target = received / f.name
        shutil.copy(f, target)
        saved = datetime(2026, 4, 12, 16, 30) if code == LATE_UNIT else datetime(2026, 4, 3, 10, 0)
        fill_return(target, ANSWERS.get(code, {}), saved)
        if code == TAMPERED_UNIT:
            wb = load_workbook(target)  # someone removed the protection and "fixed" the task text
            wb["Báo cáo"]["C8"] = "Nghiên cứu ứng dụng GIS trong quy hoạch (đã sửa)"
            wb["Báo cáo"]["F8"] = _WIP
            wb.save(target)
            set_saved(target, saved)  # saved before the return date, like the others
        files.append(target)
    foreign = received / "bang_tinh_khac.xlsx"
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Nội dung", "Ghi chú"])
    wb.save(foreign)
    files.append(foreign)
    return files


def run_demo(out_dir: Path, console) -> DemoResult:
    from rich.markup import escape

    out_dir.mkdir(parents=True, exist_ok=True)
    master = out_dir / "ke_hoach_cchc_2026.xlsx"
    for old in (out_dir / "sao_luu").glob("*.xlsx") if (out_dir / "sao_luu").exists() else []:
        old.unlink()
    plan = api.init_master(master, sample=True, force=True)
    console.print(f"[bold]1. Tạo sổ theo dõi mẫu:[/] {escape(str(master))}")
    console.print(
        f"   {escape(str(plan.info['Tên loại']))} {escape(str(plan.info['Số ký hiệu']))}: {escape(str(plan.info['Trích yếu']))}"
    )
    check = api.check_master(master)
    console.print(
        f"[bold]2. Kiểm tra:[/] {'không có gì cần sửa' if not check.problems else f'{len(check.problems)} điểm cần sửa'}."
    )
    sent = out_dir / "phieu_gui"
    if sent.exists():
        shutil.rmtree(sent)
    gen = api.generate(master, PERIOD, sent, due=date(2026, 4, 5), now=datetime(2026, 3, 25, 8, 0))
    console.print(
        f"[bold]3. Tạo phiếu kỳ {PERIOD}:[/] {len(gen.files)} phiếu trong {escape(str(sent))} (danh sách gửi: {escape(gen.manifest.name)})."
    )
    files = make_returns(sent, out_dir / "phieu_nhan")
    console.print(
        f"[bold]4. Các đơn vị gửi lại {len(files)} tệp[/] (một đơn vị nộp muộn, một phiếu bị sửa nội dung đã khóa, một tệp lạ)."
    )
    report = api.merge_returns(master, files, now=MERGED_AT)
    console.print("[bold]5. Tổng hợp:[/]")
    for f in report.files:
        notes = "; ".join(([f.reason] if f.reason else []) + f.not_applied + f.warnings)
        console.print(f"   - {escape(f.path.name)}: {escape(f.outcome)}" + (f" — {escape(notes)}" if notes else ""))
    console.print(f"   Chưa nộp: {len(report.missing)} đơn vị.")
    st = api.read_status(master, PERIOD, AS_OF)
    t = st.total
    console.print(
        f"[bold]6. Tình hình kỳ {PERIOD} (tính đến {AS_OF:%d/%m/%Y}):[/] {t.tasks} nhiệm vụ — "
        f"hoàn thành đúng hạn {t.on_time}, hoàn thành quá hạn {t.late}, đang thực hiện trong hạn {t.in_progress}, "
        f"quá hạn chưa hoàn thành {t.overdue} (trong đó chưa báo cáo {t.rest}); tỷ lệ hoàn thành {t.pct:.1f}%."
    )
    for task in st.overdue:
        console.print(f"   Quá hạn: {escape(task.code)} (hạn {task.due:%d/%m/%Y}) {escape(task.content[:90])}…")

    docs = out_dir / "van_ban"
    console.print("[bold]7. Văn bản (thể thức Nghị định 30/2020):[/]")
    for kind, name in (
        ("ke-hoach", "ke_hoach_cchc_2026.docx"),
        ("bao-cao", "bao_cao_quy_I_2026.docx"),
        ("don-doc", "cong_van_don_doc_quy_I_2026.docx"),
    ):
        doc = api.write_document(master, kind, docs / name, period=PERIOD, as_of=AS_OF).path
        problems = api.lint_docx(doc)
        console.print(
            f"   - {escape(str(doc))}"
            + (" — đúng thể thức" if not problems else f" — {len(problems)} điểm sai thể thức")
        )
    console.print("   (thêm PDF: ccpkh-excel report … --pdf, cần LibreOffice)")
    console.print(f"Mở {escape(str(master))} bằng Excel: sheet Tổng hợp, Theo dõi nộp và Thống kê (có biểu đồ).")
    return DemoResult(master, report.exit_code)
