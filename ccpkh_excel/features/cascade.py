"""The cascade: a unit's own master derived from its parent plan (seed 000 → seed 003).

The unit's master holds the parent's tasks it leads or cooperates on (its role kept in Ghi
chú, the parent's Mã NV too), the parent's căn cứ followed by the parent plan itself, the
parent's units (so names still resolve; the unit adds its own phòng) and Thông tin chung
prefilled for the unit — ready for the unit to assign tasks to its phòng.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ccpkh_excel.domain.plan import PLAN_ID, Plan, Task, apply_deadline, build_assignments, number_tasks
from ccpkh_excel.domain.units import LEAD
from ccpkh_excel.errors import CcpkhError, MasterError
from ccpkh_excel.store.master import Master


def parent_reference(plan: Plan) -> str:
    """ "Kế hoạch số 188/KH-UBND ngày 27/12/2025 của Ủy ban nhân dân tỉnh Thái Nguyên về …"."""
    info = plan.info
    kind = str(info.get("Tên loại") or "Kế hoạch")
    text = kind[0].upper() + kind[1:]
    if info.get("Số ký hiệu"):
        text += f" số {info['Số ký hiệu']}"
    d = info.get("Ngày ban hành")
    if isinstance(d, date):
        text += f" ngày {d:%d/%m/%Y}"
    if info.get("Cơ quan ban hành"):
        text += f" của {info['Cơ quan ban hành']}"
    if info.get("Trích yếu"):
        t = str(info["Trích yếu"])
        text += f" về {t[0].lower() + t[1:]}"
    return text


def derive_plan(parent: Plan, unit_code: str) -> Plan:
    """The unit's own plan drawn from `parent`."""
    unit = next((u for u in parent.units if u.code == unit_code), None)
    if unit is None:
        raise CcpkhError(f"Không có đơn vị mã {unit_code} trong sheet Đơn vị của kế hoạch cấp trên.")
    roles = {a.task: a.role for a in build_assignments(parent) if a.unit == unit_code}
    if not roles:
        raise CcpkhError(
            f"Đơn vị {unit_code} – {unit.name} không chủ trì hay phối hợp nhiệm vụ nào của kế hoạch cấp trên."
        )
    year = parent.year
    ref = parent_reference(parent)
    plan = Plan(units=list(parent.units))
    short = str(parent.info.get("Số ký hiệu") or "")
    plan.info.update(
        {
            "Cơ quan chủ quản": parent.info.get("Cơ quan ban hành", ""),
            "Cơ quan ban hành": unit.name,
            "Địa danh": parent.info.get("Địa danh", ""),
            "Số ký hiệu": f"/KH-{unit.code}",
            "Ngày ban hành": "",
            "Tên loại": "Kế hoạch",
            "Trích yếu": f"Cải cách hành chính của {unit.name} năm {year}"
            if year
            else f"Cải cách hành chính của {unit.name}",
            "Năm": year or "",
            "Nơi nhận": "; ".join(
                [
                    f"{parent.info.get('Cơ quan ban hành', 'Cơ quan cấp trên')} (b/c)",
                    "Lãnh đạo đơn vị",
                    "Các phòng, đơn vị trực thuộc",
                    "Lưu: VT",
                ]
            ),
            "Lời dẫn": f"{unit.name} ban hành Kế hoạch cải cách hành chính năm {year}. Cụ thể như sau:"
            if year
            else f"{unit.name} ban hành Kế hoạch cải cách hành chính. Cụ thể như sau:",
            "Đoạn kết": f"Trên đây là Kế hoạch cải cách hành chính năm {year} của {unit.name}./."
            if year
            else f"Trên đây là Kế hoạch cải cách hành chính của {unit.name}./.",
        }
    )
    plan.basis = [*parent.basis, f"Căn cứ {ref}"]
    plan.purposes = list(parent.purposes)
    plan.content = list(parent.content)
    plan.organization = [(unit.code, duty) for head, duty in parent.organization if head in (unit.code, unit.name)]
    tasks = []
    for t in parent.tasks:
        role = roles.get(t.code)
        if role is None:
            continue
        what = "chủ trì" if role == LEAD else "phối hợp"
        note = f"{unit.name} {what} theo {short or 'kế hoạch cấp trên'} (mã {t.code})"
        tasks.append(
            Task(
                stt="",
                field=t.field,
                content=t.content,
                lead=t.lead,
                coop=t.coop,
                deadline=t.deadline,
                product=t.product,
                note=note,
            )
        )
    tasks = [apply_deadline(t, year)[0] for t in tasks]
    for i, t in enumerate(tasks, start=1):
        t.stt = str(i)
    plan.tasks = number_tasks(tasks)
    plan.info[PLAN_ID] = ""  # a new plan gets its own id when written
    return plan


def derive(master: Master | Path, unit_code: str, out: Path, force: bool = False, wait: float = 0.0) -> Plan:
    """Write the unit's own master at `out` from the parent master."""
    out = Path(out)
    if out.exists() and not force:
        raise MasterError("đã có. Dùng --force nếu muốn tạo lại.", out)
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise MasterError("sổ theo dõi phải là tệp .xlsx.", out)
    parent = master if isinstance(master, Master) else Master.read(master)
    plan = derive_plan(parent.plan, unit_code)
    with Master.open(out, wait=wait) as m:
        m.log("Lập kế hoạch đơn vị", [parent.path.name], f"{len(plan.tasks)} nhiệm vụ của {unit_code}")
        m.save(plan=plan, fresh=True)
    return plan
