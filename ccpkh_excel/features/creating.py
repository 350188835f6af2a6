"""`init`: a new master workbook, empty or holding the bundled sample plan."""

from __future__ import annotations

from pathlib import Path

from ccpkh_excel.domain.plan import Plan
from ccpkh_excel.domain.sample import sample_plan
from ccpkh_excel.errors import MasterError
from ccpkh_excel.features.documents.assessment import ASSESSMENT, starter_rows
from ccpkh_excel.store.master import Master


def init_master(path: Path, sample: bool = False, force: bool = False, wait: float = 0.0) -> Plan:
    """Create a master workbook (.xlsx, or .xlsm with the dashboard and its buttons).

    With `force` an existing master is replaced — after a backup, under the run lock."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise MasterError("sổ theo dõi phải là tệp .xlsx (hoặc .xlsm có nút bấm).", path)
    if path.exists() and not force:
        raise MasterError("đã có. Dùng --force nếu muốn tạo lại (dữ liệu cũ sẽ mất).", path)
    if not path.parent.exists():
        raise MasterError(f"không có thư mục '{path.parent}'.", path)
    plan = sample_plan() if sample else Plan()
    base = None
    if path.suffix.lower() == ".xlsm":
        from ccpkh_excel.features.excel.dashboard import base_workbook

        base = base_workbook(plan.year)  # dashboard, buttons, VBA; the sheets follow
    with Master.open(path, wait=wait) as m:
        if path.exists() and not force:  # created by another run while we waited
            raise MasterError("đã có. Dùng --force nếu muốn tạo lại (dữ liệu cũ sẽ mất).", path)
        m.log("Tạo sổ", [path.name], f"{len(plan.tasks)} nhiệm vụ, {len(plan.units)} đơn vị")
        # with the sheet Đánh giá, where the clerk writes the BÁO CÁO's judged parts
        m.save(plan=plan, base=base, fresh=True, sheets={ASSESSMENT: starter_rows()})
    return plan
