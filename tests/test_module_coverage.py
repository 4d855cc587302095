"""Every twinviewer module is imported, directly or through other modules, by the tests.

A static check (the import statements of the tests and of the package, read with ``ast``), so
it costs well under a second and runs in the gate. Benchmarks do not count: they are not part
of the gate. Imports inside functions count too (the app imports its heavy layers lazily), and so do
``"module:attr"`` entries, code strings run in a subprocess (``-m twinviewer.x``) and a sibling
file or data package named in a string (the kernel template, the evidence tables). Tests
marked slow do not count (``@pytest.mark.slow`` on a function or class, or a module's
``pytestmark``): the gate deselects them, so a module they alone reach is not in the gate.
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


def _marks_slow(node: ast.AST) -> bool:
    """Whether ``node`` is ``pytest.mark.slow`` (also inside a list of marks)."""
    return any(isinstance(n, ast.Attribute) and n.attr == "slow"
               and isinstance(n.value, ast.Attribute) and n.value.attr == "mark"
               for n in ast.walk(node))


def _gate_nodes(tree: ast.Module):
    """The nodes of a test module that run in the gate: none when the module's
    ``pytestmark`` holds ``slow``, else all but the functions and classes marked slow."""
    if any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "pytestmark"
                                             for t in n.targets) and _marks_slow(n.value)
           for n in tree.body):
        return
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and any(_marks_slow(d) for d in node.decorator_list):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _imports(path: Path, package: str, gate_only: bool = False) -> set[str]:
    """Module names imported by ``path`` (``from a import b`` gives ``a`` and ``a.b``);
    with ``gate_only``, only by the parts of a test module that the gate runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in (_gate_nodes(tree) if gate_only else ast.walk(tree)):
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
    used = set().union(*(_imports(p, "tests", gate_only=True) for p in tests))
    reached = _closure(used, graph)
    missing = sorted(set(graph) - reached)
    assert not missing, f"modules no gate test imports, even indirectly: {missing}"


def test_imports_of_slow_tests_do_not_count(tmp_path):
    """A module imported only by a slow test, or by a module marked slow, is not reached."""
    mixed = tmp_path / "test_mixed.py"
    mixed.write_text("import pytest\n\n"
                     "import twinviewer.a\n\n\n"
                     "@pytest.mark.slow\ndef test_s():\n    import twinviewer.b\n\n\n"
                     "@pytest.mark.slow\nclass TestS:\n    def test_c(self):\n"
                     "        import twinviewer.c\n\n\n"
                     "def test_fast():\n    run('-m twinviewer.d')\n")
    slow = tmp_path / "test_slow.py"
    slow.write_text("import pytest\n\nimport twinviewer.e\n\npytestmark = pytest.mark.slow\n")
    assert _imports(mixed, "tests") >= {"twinviewer.a", "twinviewer.b", "twinviewer.c",
                                        "twinviewer.d"}
    assert _imports(mixed, "tests", gate_only=True) == {"pytest", "twinviewer.a",
                                                        "twinviewer.d"}
    assert _imports(slow, "tests", gate_only=True) == set()
