"""ccpkh-excel: kế hoạch cải cách hành chính (CCHC) từ Excel đến văn bản Word.

The library works on one master workbook held by `Master`; the CLI
(`ccpkh_excel.frontends.cli`), the Excel buttons (`ccpkh_excel.macros`) and the demo are thin
front ends over the functions exported here. See docs/API.md.

    import ccpkh_excel as cc

    with cc.Master.open("so.xlsx", wait=30) as m:
        cc.import_plan("ke_hoach.docx", m)
        cc.check_master(m)
        cc.generate(m, "Quý I/2026", "phieu_gui")
    cc.merge_returns("so.xlsx", ["phieu_nhan"])
    print(cc.read_status("so.xlsx", "Quý I/2026").total)

Names are imported when first used, so `import ccpkh_excel` stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

_EXPORTS = {
    # errors
    "CcpkhError": "ccpkh_excel.errors",
    "SourceError": "ccpkh_excel.errors",
    "MasterError": "ccpkh_excel.errors",
    "MasterLockedError": "ccpkh_excel.errors",
    "MasterBusyError": "ccpkh_excel.errors",
    # domain
    "Plan": "ccpkh_excel.domain.plan",
    "Task": "ccpkh_excel.domain.plan",
    "Unit": "ccpkh_excel.domain.units",
    "parse_period": "ccpkh_excel.domain.periods",
    "compute_status": "ccpkh_excel.domain.status",
    "StatusFigures": "ccpkh_excel.domain.status",
    # the store
    "Master": "ccpkh_excel.store.master",
    "read_plan": "ccpkh_excel.store.master",
    "read_assignments": "ccpkh_excel.store.master",
    "read_records": "ccpkh_excel.store.master",
    "write_plan": "ccpkh_excel.store.master",
    "Records": "ccpkh_excel.store.records",
    # features
    "init_master": "ccpkh_excel.features.creating",
    "check_master": "ccpkh_excel.features.checking",
    "CheckResult": "ccpkh_excel.features.checking",
    "import_plan": "ccpkh_excel.features.importing",
    "read_source": "ccpkh_excel.features.importing",
    "ImportResult": "ccpkh_excel.features.importing",
    "generate": "ccpkh_excel.features.forms",
    "GenerateResult": "ccpkh_excel.features.forms",
    "merge_returns": "ccpkh_excel.features.merging",
    "collect_files": "ccpkh_excel.features.merging",
    "MergeResult": "ccpkh_excel.features.merging",
    "read_status": "ccpkh_excel.features.tracking",
    "status_frames": "ccpkh_excel.features.tracking",
    "export_status": "ccpkh_excel.features.tracking",
    "derive": "ccpkh_excel.features.cascade",
    "write_document": "ccpkh_excel.features.documents.writing",
    "write_reminders": "ccpkh_excel.features.documents.writing",
    "accept_name": "ccpkh_excel.features.name_review",
    "lint_docx": "ccpkh_excel.features.documents.lint",
    "send_forms": "ccpkh_excel.features.mailing",
    "collect_returns": "ccpkh_excel.features.mailing",
    "send_reminders": "ccpkh_excel.features.mailing",
    "MailSettings": "ccpkh_excel.features.mailing",
    "store_password": "ccpkh_excel.features.mailing",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(_EXPORTS[name])
        value = getattr(module, "lint" if name == "lint_docx" else name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ccpkh_excel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
