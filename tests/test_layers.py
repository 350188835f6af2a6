"""The package's layers: pure domain rules, the store, features, front ends — no import
cycle, nothing imports upward. Checked with a small AST scan of every module (imports inside
functions count too)."""

import ast
from pathlib import Path

import pytest

import ccpkh_excel

PACKAGE = Path(ccpkh_excel.__file__).parent
LAYERS = [  # (prefix, rank): a module may import modules of its own rank or lower
    ("ccpkh_excel.errors", 0),
    ("ccpkh_excel.resources", 0),
    ("ccpkh_excel.domain", 1),
    ("ccpkh_excel.store", 2),
    ("ccpkh_excel.features", 3),
    ("ccpkh_excel.frontends", 5),
    ("ccpkh_excel.macros", 5),
    ("ccpkh_excel.__main__", 5),
    ("ccpkh_excel", 4),  # the package itself: the public API
]


def rank(module: str) -> int:
    for prefix, r in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return r
    raise AssertionError(f"{module}: in no layer")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every ccpkh_excel module `path` imports, resolved to a module (not a name in it)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "ccpkh_excel"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "ccpkh_excel":
                continue
            for a in node.names:  # `from ccpkh_excel.store import xlsxfast` imports a module
                sub = f"{target}.{a.name}"
                found.add(sub if (modules().get(sub)) else target)
    found.discard(me)
    return found


_MODULES: dict[str, Path] = {}


def modules() -> dict[str, Path]:
    if not _MODULES:
        _MODULES.update({module_name(p): p for p in PACKAGE.rglob("*.py")})
    return _MODULES


def graph() -> dict[str, set[str]]:
    return {m: imports_of(p) for m, p in modules().items()}


def test_every_module_is_in_a_layer():
    for m in modules():
        rank(m)


def test_nothing_imports_upward():
    upward = [
        f"{m} ({rank(m)}) → {t} ({rank(t)})" for m, targets in graph().items() for t in targets if rank(t) > rank(m)
    ]
    assert upward == []


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(m, stack):
        state[m] = 1
        for t in sorted(g.get(m, ())):
            if t not in g:
                continue
            if state.get(t) == 1:
                cycles.append(" → ".join(stack[stack.index(t) :] + [t]))
            elif t not in state:
                visit(t, stack + [t])
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_domain_does_no_file_io():
    """Pure rules: no file, process or workbook library in ccpkh_excel.domain."""
    banned = {"openpyxl", "python_calamine", "zipfile", "shutil", "subprocess", "docx", "docxtpl", "xlwings"}
    for m, p in modules().items():
        if not m.startswith("ccpkh_excel.domain"):
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        used = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        used |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not used & banned, f"{m} uses {used & banned}"
        assert "open(" not in p.read_text(encoding="utf-8"), f"{m} opens a file"


def test_the_scan_would_catch_a_cycle_and_an_upward_import(tmp_path, monkeypatch):
    """The checks above can fail: a domain module importing the store is found."""
    bad = tmp_path / "ccpkh_excel" / "domain" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from ccpkh_excel.store.master import Master\n", encoding="utf-8")
    monkeypatch.setattr("test_layers.PACKAGE", tmp_path / "ccpkh_excel")
    _MODULES.clear()
    try:
        assert imports_of(bad) == {"ccpkh_excel.store.master"}
        assert rank("ccpkh_excel.store.master") > rank(module_name(bad))
    finally:
        _MODULES.clear()


@pytest.mark.parametrize("name", ccpkh_excel.__all__)
def test_every_public_name_resolves(name):
    assert getattr(ccpkh_excel, name) is not None
