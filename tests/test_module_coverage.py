"""Every twinviewer module is imported, directly or through other modules, by the tests.

A static check (the import statements of the tests and of the package, read with ``ast``), so
it costs well under a second and runs in the gate. Benchmarks do not count: they are not part
of the gate. Imports inside functions count too (the app imports its heavy layers lazily), and so do
``"module:attr"`` entries, code strings run in a subprocess (``-m twinviewer.x``) and a sibling
file or data package named in a string (the kernel template, the evidence tables). Tests
marked slow count as well: the check does not know markers.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import twinviewer

ROOT = Path(twinviewer.__file__).parent
TESTS = Path(__file__).parent
PLUGIN_TESTS = TESTS.parent / "plugins"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, package: str) -> set[str]:
    """Module names imported by ``path`` (``from a import b`` gives ``a`` and ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import inside the package
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value  # "module:attr" entries, "-m module", code run in a subprocess
            out.update(re.findall(r"(?:^|import |-m |from |, )(twinviewer(?:\.\w+)+)", text))
            if re.fullmatch(r"\w+(\.py)?", text):  # a sibling file or data package by name
                out.add(f"{package}.{text.removesuffix('.py')}")
    return out


def _closure(start: set[str], graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [m for m in start if m in graph]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run
        todo += [d for d in graph[m] if d in graph and d not in seen]
    return seen


def test_every_module_is_reached_from_the_gate_tests():
    files = {_module_name(p): p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts}
    graph = {m: {d for d in _imports(p, m if p.name == "__init__.py" else
                                     m.rpartition(".")[0])
                 if d.startswith("twinviewer")} for m, p in files.items()}
    # the core's manifest names its readers, panels and commands as "module:attr": the
    # registry imports them, so they are reached wherever the registry is
    manifest = (ROOT / "twinviewer.toml").read_text(encoding="utf-8")
    graph["twinviewer.plugins.registry"] |= set(re.findall(r'"(twinviewer(?:\.\w+)+):', manifest))
    tests = [p for p in [*TESTS.rglob("*.py"), *PLUGIN_TESTS.rglob("test_*.py")]
             if "benchmarks" not in p.parts and "__pycache__" not in p.parts]
    assert len(tests) > 50 and len(graph) > 100  # the search saw the suite and the package
    used = set().union(*(_imports(p, "tests") for p in tests))
    reached = _closure(used, graph)
    missing = sorted(set(graph) - reached)
    assert not missing, f"modules no gate test imports, even indirectly: {missing}"
