"""ccpkh-excel: kế hoạch cải cách hành chính (CCHC) từ Excel đến văn bản Word.

The library works on files; the CLI (`ccpkh_excel.cli`) and the Excel buttons are thin
front ends over it.
"""

__version__ = "0.1.0"
