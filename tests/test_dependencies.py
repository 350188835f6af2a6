"""Every library the package imports is declared: in install_requires, or (xlwings) in the
[excel] extra — so `pip install .` alone reads everything the tool announces (an encrypted
.xlsx or an old .doc needs olefile, for instance). And every declared dependency is used."""

import ast
import configparser
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import ccpkh_excel

ROOT = Path(__file__).resolve().parent.parent
EXTRAS_ONLY = {"xlwings": "excel"}


def _declared(section: str, key: str) -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = cfg[section][key].strip().splitlines()
    return {re.split(r"[<>=!~\[ ;]", line.strip())[0].lower() for line in lines if line.strip()}


def _imported() -> set[str]:
    names = set()
    for path in Path(ccpkh_excel.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "ccpkh_excel"}


def _distributions(modules: set[str]) -> dict[str, str]:
    dists = packages_distributions()
    return {m: dists[m][0].lower() for m in modules}


def test_every_imported_library_is_declared():
    required = _declared("options", "install_requires")
    for module, dist in _distributions(_imported()).items():
        if module in EXTRAS_ONLY:
            assert dist in _declared("options.extras_require", EXTRAS_ONLY[module]), module
            assert dist not in required, f"{dist}: optional, keep it out of install_requires"
        else:
            assert dist in required, f"{module} ({dist}) is imported but not in install_requires"


def test_every_declared_dependency_is_imported():
    used = set(_distributions(_imported()).values())
    for dist in _declared("options", "install_requires"):
        assert dist in used, f"{dist} is declared but never imported"
