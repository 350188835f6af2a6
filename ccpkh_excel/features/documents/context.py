"""What the templates are filled with: the plan's heading (ND 30 thể thức), its task table
grouped by field, and the references between documents."""

from __future__ import annotations

from datetime import date

from ccpkh_excel.domain.plan import Plan
from ccpkh_excel.features.documents import nd30

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]
REQUIRED_INFO = ("Cơ quan ban hành", "Địa danh", "Trích yếu", "Chức vụ người ký", "Người ký")


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def _kind_name(plan: Plan) -> str:
    t = _text(plan.info.get("Tên loại")) or "Kế hoạch"
    return t[0].upper() + t[1:].lower()


def document_reference(plan: Plan) -> str:
    """ "Kế hoạch số 188/KH-UBND ngày 27 tháng 12 năm 2025 của Ủy ban nhân dân tỉnh Thái Nguyên"."""
    info = plan.info
    so = _text(info.get("Số ký hiệu"))
    text = f"{_kind_name(plan)} số {so if so else '      /KH-'}"
    d = info.get("Ngày ban hành")
    text += f" {nd30.long_date(d)}" if isinstance(d, date) else " ngày      tháng      năm"
    if info.get("Cơ quan ban hành"):
        text += f" của {info['Cơ quan ban hành']}"
    return text


def base_context(plan: Plan) -> dict:
    info = plan.info
    d = info.get("Ngày ban hành")
    authority = _text(info.get("Quyền hạn ký"))
    return {
        "co_quan_chu_quan": _text(info.get("Cơ quan chủ quản")),
        "co_quan_ban_hanh": _text(info.get("Cơ quan ban hành")),
        "so_ky_hieu": _text(info.get("Số ký hiệu")) or "      /KH-",
        "dia_danh_ngay": nd30.date_line(_text(info.get("Địa danh")), d if isinstance(d, date) else None, plan.year),
        "trich_yeu": _text(info.get("Trích yếu")),
        "quyen_han": authority if authority not in ("", "(để trống)") else "",
        "chuc_vu": _text(info.get("Chức vụ người ký")),
        "nguoi_ky": _text(info.get("Người ký")),
        "noi_nhan": [x.strip() for x in _text(info.get("Nơi nhận")).split(";") if x.strip()],
        "nam": plan.year or "",
    }


def _grouped(items: list[tuple[str, str]]) -> list[dict]:
    out: list[dict] = []
    for head, text in items:
        if not out or out[-1]["title"] != head:
            out.append({"number": len(out) + 1, "title": head, "bullets": []})
        out[-1]["bullets"].append(text.rstrip(";. "))
    return out


def plan_rows(plan: Plan) -> tuple[list[dict], bool]:
    """Rows of the DANH MỤC: roman group rows when the plan numbers tasks within groups."""
    stts = [t.stt for t in plan.tasks if t.stt]
    grouped = len(stts) != len(set(stts)) and all(t.field for t in plan.tasks)
    rows, current = [], None
    groups = 0
    for t in plan.tasks:
        if grouped and t.field != current:
            current = t.field
            groups += 1
            number = ROMAN[groups - 1] if groups <= len(ROMAN) else str(groups)
            if t.stt != number:  # a task numbered with the roman numeral is its own group row
                rows.append({"group": True, "stt": number, "title": t.field})
        rows.append(
            {
                "group": False,
                "stt": t.stt,
                "content": t.content,
                "lead": t.lead,
                "coop": t.coop,
                "deadline": t.deadline,
                "product": t.product,
            }
        )
    return rows, grouped


def plan_context(plan: Plan) -> dict:
    ctx = base_context(plan)
    names = {u.code: u.name for u in plan.units}
    year = plan.year
    ctx.update(
        {
            "can_cu": [b.rstrip(";. ") for b in plan.basis],
            "loi_dan": _text(plan.info.get("Lời dẫn")),
            "muc_dich": [t.rstrip(";. ") for m, t in plan.purposes if m.lower().startswith("mục đích")],
            "yeu_cau": [t.rstrip(";. ") for m, t in plan.purposes if m.lower().startswith("yêu cầu")],
            "noi_dung": _grouped(plan.content),
            "to_chuc": [{**g, "heading": names.get(g["title"], g["title"])} for g in _grouped(plan.organization)],
            "doan_ket": _text(plan.info.get("Đoạn kết")) or "Trên đây là Kế hoạch./.",
            "phu_luc_ten": f"Danh mục nhiệm vụ trọng tâm thực hiện cải cách hành chính năm {year}"
            if year
            else "Danh mục nhiệm vụ trọng tâm",
            "kem_theo": f"Kèm theo {document_reference(plan)}",
            "dan_chieu_phu_luc": f"Có Danh mục nhiệm vụ trọng tâm cải cách hành chính năm {year} kèm theo"
            if year
            else "Có Danh mục nhiệm vụ trọng tâm kèm theo",
        }
    )
    rows, _ = plan_rows(plan)
    ctx["rows"] = rows
    ctx["co_san_pham"] = any(t.product for t in plan.tasks)
    return ctx


def missing_info(plan: Plan) -> list[str]:
    return [
        f"Thông tin chung chưa có '{k}': chỗ đó trong văn bản để trống."
        for k in REQUIRED_INFO
        if not _text(plan.info.get(k))
    ]


# --- rendering ---------------------------------------------------------------------------------
