"""The module the Excel buttons call: ``RunPython "import ccpkh_excel.macros as m; m.merge()"``.

Its name is a contract with every workbook already handed out; the entry points live in
`ccpkh_excel.frontends.macros`.
"""

from ccpkh_excel.frontends.macros import (  # noqa: F401
    ENTRY_POINTS,
    check,
    collect_mail,
    generate,
    import_word,
    merge,
    remind_mail,
    report_periodic,
    report_plan,
    report_reminder,
    send_mail,
    status,
)
