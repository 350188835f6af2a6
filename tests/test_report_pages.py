"""The documents as LibreOffice prints them (PDF, read back with pdfplumber): the page facts
of Nghị định 30/2020 — signature kept with the closing paragraph, số zero-padded, the agency's
line 1/3–1/2 of its name and centred, the Tiêu ngữ's line as long as it, Nơi nhận level with
the signing authority, no number on page 1, a)/b) points, the phụ lục's "kèm theo" line, the
chart's caption. One LibreOffice run converts them all."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccpkh_excel import Master, write_document
from ccpkh_excel.frontends.cli import cli

pytestmark = pytest.mark.libreoffice
AS_OF = date(2026, 4, 10)
DOCS = {
    "ke_hoach": ("ke-hoach", None, None),
    "bao_cao_quy": ("bao-cao", "Quý I/2026", None),
    "bao_cao_nam": ("bao-cao", "Năm 2026", None),
    "cong_van": ("don-doc", "Quý I/2026", "SVHTTDL"),
}
CLOSING = {
    "ke_hoach": "Trên đây là Kế hoạch CCHC",
    "bao_cao_quy": "Trên đây là báo cáo",
    "bao_cao_nam": "Trên đây là báo cáo",
    "cong_van": "Đề nghị Thủ trưởng",
}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pdf")
    assert CliRunner().invoke(cli, ["demo", "--out", str(out / "demo")]).exit_code == 0
    master = out / "demo" / "ke_hoach_cchc_2026.xlsx"
    with Master.open(master) as m:  # a number below 10, as a clerk types it
        plan = m.plan
        plan.info["Số ký hiệu"] = "5/KH-UBND"
        m.save(plan=plan)
    docs = []
    for name, (kind, period, unit) in DOCS.items():
        r = write_document(master, kind, out / f"{name}.docx", period=period, unit=unit, as_of=AS_OF)
        assert r.deviations == [], (name, r.deviations)
        docs.append(r.path)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(
        [soffice, f"-env:UserInstallation={(out / 'profile').as_uri()}", "--headless", "--convert-to", "pdf"]
        + ["--outdir", str(out)]
        + [str(d) for d in docs],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {name: out / f"{name}.pdf" for name in DOCS}


def _pages(path: Path):
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [(p.width, p.extract_text() or "", p.extract_words(), p.lines + p.rects) for p in pdf.pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("name", list(DOCS))
def test_signature_never_alone_on_its_page(pdfs, name):
    pages = _pages(pdfs[name])
    sig = next(i for i, (_, t, _, _) in enumerate(pages) if "Nơi nhận:" in t)
    text = _flat(pages[sig][1])
    assert CLOSING[name] in text, f"{name}: page {sig + 1} holds the signature without the closing paragraph"
    assert text.index(CLOSING[name]) < text.index("Nơi nhận:")


@pytest.mark.parametrize("name", list(DOCS))
def test_noi_nhan_level_with_the_authority_and_no_number_on_page_one(pdfs, name):
    pages = _pages(pdfs[name])
    sig = next(i for i, (_, t, _, _) in enumerate(pages) if "Nơi nhận:" in t)
    words = pages[sig][2]
    noi = next(w for w in words if w["text"] == "Nơi")
    kt = next(w for w in words if w["text"] == "KT.")
    assert abs(noi["top"] - kt["top"]) < 3, (noi, kt)
    width, _, words1, _ = pages[0]
    assert not any(w["top"] < 50 and w["text"].isdigit() for w in words1)  # page 1: no number
    if len(pages) > 1:
        top = [w for w in pages[1][2] if w["top"] < 50]
        assert [w["text"] for w in top] == ["2"] and abs((top[0]["x0"] + top[0]["x1"]) / 2 - width / 2) < 40


@pytest.mark.parametrize("name", list(DOCS))
def test_header_lines_on_the_page(pdfs, name):
    width, _, words, shapes = _pages(pdfs[name])[0]
    left = [w for w in words if w["x1"] < width * 0.45 and w["top"] < 110]
    agency = [w for w in left if not w["text"].startswith("Số")]
    rows: dict[int, list] = {}
    for w in agency:
        rows.setdefault(round(w["top"]), []).append(w)
    so_top = min(w["top"] for w in left if w["text"] == "Số:")
    lines_of_name = [r for t, r in sorted(rows.items()) if t < so_top - 3]
    widest = max(lines_of_name, key=lambda r: r[-1]["x1"] - r[0]["x0"])
    text_w = widest[-1]["x1"] - widest[0]["x0"]
    centre = (widest[0]["x0"] + widest[-1]["x1"]) / 2
    bottom = max(w["bottom"] for r in lines_of_name for w in r)
    rule = min((s for s in shapes if s["x1"] < width * 0.5 and 0 <= s["top"] - bottom < 15), key=lambda s: s["top"])
    length = rule["x1"] - rule["x0"]
    assert text_w / 3 - 1 <= length <= text_w / 2 + 1, (length, text_w)
    assert abs((rule["x0"] + rule["x1"]) / 2 - centre) < 3
    motto = [w for w in words if w["x0"] > width * 0.45 and w["top"] < 90]
    tn_top = max(w["top"] for w in motto)
    tn = [w for w in motto if abs(w["top"] - tn_top) < 2]
    tn_w = tn[-1]["x1"] - tn[0]["x0"]
    tn_bottom = max(w["bottom"] for w in tn)
    rule = min((s for s in shapes if s["x0"] > width * 0.45 and 0 <= s["top"] - tn_bottom < 15), key=lambda s: s["top"])
    assert abs((rule["x1"] - rule["x0"]) - tn_w) < 0.08 * tn_w


def test_plan_number_points_and_kem_theo(pdfs):
    pages = _pages(pdfs["ke_hoach"])
    text = _flat(" ".join(t for _, t, _, _ in pages))
    assert "Số: 05/KH-UBND" in text
    assert "a) Cụ thể hóa mục tiêu" in text and "b) Phân công các cơ quan" in text
    assert "- a)" not in text
    assert (
        "(Kèm theo Kế hoạch số 05/KH-UBND ngày 27 tháng 12 năm 2025 của Chủ tịch Ủy ban nhân dân tỉnh Thái Nguyên)"
        in text
    )


def test_reports_quarterly_and_yearly(pdfs):
    quarter = _flat(" ".join(t for _, t, _, _ in _pages(pdfs["bao_cao_quy"])))
    assert "Biểu đồ 1. Tình hình thực hiện nhiệm vụ theo lĩnh vực, Quý I/2026" in quarter
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ QUÝ II/2026" in quarter and "[CẦN BỔ SUNG]" in quarter
    assert "Phụ lục I" in quarter and "Phụ lục II" in quarter and "2. Theo đơn vị chủ trì, xếp hạng" in quarter
    year = _flat(" ".join(t for _, t, _, _ in _pages(pdfs["bao_cao_nam"])))
    assert "Kết quả thực hiện công tác cải cách hành chính Năm 2026" in year
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2027" in year
    letter = _flat(" ".join(t for _, t, _, _ in _pages(pdfs["cong_van"])))
    assert "Kính gửi: Sở Văn hóa, Thể thao và Du lịch." in letter
    assert re.search(r"- NV0\d\d – .+\(hạn \d\d/\d\d/2026; (chưa báo cáo|quá hạn, chưa hoàn thành)\)", letter)


def test_ranking_table_rows_print_in_times_new_roman_12(pdfs):
    """The ranking rows take their look from the template's table style (no formatting of their
    own): Times New Roman — or Liberation Serif, its same-width stand-in where it is not
    installed — 12 pt, upright, not bold; a one-line row one 12 pt line high (single line
    spacing, no space before or after)."""
    import pdfplumber

    pages = []
    with pdfplumber.open(pdfs["bao_cao_quy"]) as pdf:
        for p in pdf.pages:
            words = p.extract_words(extra_attrs=["fontname", "size"])
            if any(w["text"] == "Hạng" for w in words):
                pages.append(words)
    assert pages
    words = pages[0]
    hang = next(w for w in words if w["text"] == "Hạng")
    column = (hang["x0"] + hang["x1"]) / 2
    first = min(
        (
            w
            for w in words
            if w["text"] == "1" and w["top"] > hang["top"] and abs((w["x0"] + w["x1"]) / 2 - column) < 15
        ),
        key=lambda w: w["top"],
    )
    rows = [w for w in words if w["top"] >= first["top"] - 1]
    assert len(rows) > 20
    for w in rows:
        assert re.sub(r"^[A-Z]{6}\+", "", w["fontname"]) in ("TimesNewRomanPSMT", "TimesNewRoman", "LiberationSerif"), w
        assert round(w["size"], 1) == 12.0, w
    ranks = sorted(w["top"] for w in rows if abs((w["x0"] + w["x1"]) / 2 - column) < 15)
    gaps = [round(b - a, 1) for a, b in zip(ranks, ranks[1:], strict=False)]
    one_line = max(set(gaps), key=gaps.count)  # most names fit on one line
    assert 13 < one_line < 16, gaps  # 12 pt × 1.15 and the border; 6 pt spacing would make it 20
