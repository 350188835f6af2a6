"""What the templates are filled with: the plan's heading (ND 30 thể thức), its task table
grouped by field, and the references between documents."""

from __future__ import annotations

import re
from datetime import date

from ccpkh_excel.domain.plan import Plan
from ccpkh_excel.domain.vntext import fold
from ccpkh_excel.features.documents import nd30

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]
REQUIRED_INFO = ("Cơ quan ban hành", "Địa danh", "Trích yếu", "Chức vụ người ký", "Người ký")


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def _kind_name(plan: Plan) -> str:
    t = _text(plan.info.get("Tên loại")) or "Kế hoạch"
    return t[0].upper() + t[1:].lower()


def signing_authority(plan: Plan) -> str:
    """Who issues the plan, as a document citing it names them: the body when signed on its
    behalf (TM.), its head when the head signs or someone signs for the head (KT., Q., TL.,
    TUQ.): "Ủy ban nhân dân tỉnh Thái Nguyên" / "Chủ tịch Ủy ban nhân dân tỉnh Thái Nguyên"."""
    info = plan.info
    body = _text(info.get("Cơ quan ban hành"))
    authority = _text(info.get("Quyền hạn ký"))
    if authority in ("", "(để trống)"):
        head = _text(info.get("Chức vụ người ký"))
    elif authority.upper().startswith("TM."):
        return body
    else:
        head = authority.split(".", 1)[1].strip() if "." in authority[:4] else authority
    if not head or not body:
        return body
    head = head[0].upper() + head[1:].lower()
    return body if fold(body).startswith(fold(head)) else f"{head} {body}"


def document_number(plan: Plan) -> str:
    """The plan's số ký hiệu, a number below 10 with its leading 0 ("5/KH-SNV" → "05/KH-SNV")."""
    return nd30.pad_number(_text(plan.info.get("Số ký hiệu")))


def document_reference(plan: Plan) -> str:
    """ "Kế hoạch số 188/KH-UBND ngày 27 tháng 12 năm 2025 của Chủ tịch Ủy ban nhân dân tỉnh Thái Nguyên"."""
    info = plan.info
    so = document_number(plan)
    text = f"{_kind_name(plan)} số {so if so else '      /KH-'}"
    d = info.get("Ngày ban hành")
    text += f" {nd30.long_date(d)}" if isinstance(d, date) else " ngày      tháng      năm"
    who = signing_authority(plan)
    if who:
        text += f" của {who}"
    return text


def points(items: list[str]) -> list[str]:
    """Items as lettered points: "a) …;", "b) …;" … "… ." (a text already lettered keeps its letter)."""
    out = []
    for i, text in enumerate(items):
        text = text.rstrip(";. ")
        if not re.match(r"^[a-zđ]{1,2}\) ", text):
            text = f"{nd30.point(i)} {text}"
        out.append(text + ("." if i == len(items) - 1 else ";"))
    return out


def dashes(items: list[str]) -> list[str]:
    """Items as "- …;" lines, the last ending with a full stop; a lettered point stays a point."""
    out = []
    for i, text in enumerate(items):
        text = text.rstrip(";. ")
        if not re.match(r"^([a-zđ]{1,2}\)|-|\+) ", text):
            text = f"- {text}"
        out.append(text + ("." if i == len(items) - 1 else ";"))
    return out


def base_context(plan: Plan) -> dict:
    info = plan.info
    d = info.get("Ngày ban hành")
    authority = _text(info.get("Quyền hạn ký"))
    return {
        "co_quan_chu_quan": _text(info.get("Cơ quan chủ quản")),
        "co_quan_ban_hanh": _text(info.get("Cơ quan ban hành")),
        "so_ky_hieu": document_number(plan) or "      /KH-",
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
    for g in out:
        g["bullets"] = dashes(g["bullets"])
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
            "muc_dich": points([t for m, t in plan.purposes if m.lower().startswith("mục đích")]),
            "yeu_cau": points([t for m, t in plan.purposes if m.lower().startswith("yêu cầu")]),
            "noi_dung": _grouped(plan.content),
            "to_chuc": [{**g, "heading": names.get(g["title"], g["title"])} for g in _grouped(plan.organization)],
            "doan_ket": _text(plan.info.get("Đoạn kết")) or "Trên đây là Kế hoạch./.",
            "phu_luc_ten": f"Danh mục nhiệm vụ trọng tâm thực hiện cải cách hành chính năm {year}"
            if year
            else "Danh mục nhiệm vụ trọng tâm",
            "kem_theo": f"Kèm theo {document_reference(plan)}",  # the signing authority, as the plan names it
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
