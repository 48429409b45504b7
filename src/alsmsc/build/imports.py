"""Which of this package's files a piece of code runs: the closure of its `alsmsc` imports, read with ``ast``.

The task graph keys each notebook (and each generated page) on exactly these files, so editing a module re-runs the
steps that import it, directly or through another module, and nothing else. Nothing is imported to find out.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


def _module_file(src: Path, dotted: str) -> Path | None:
    base = src.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _own_name(src: Path, file: Path) -> str:
    parts = file.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, package: str = "", root: str = "alsmsc") -> set[str]:
    """Dotted names of ``root`` modules (or packages) that ``source`` imports; ``package`` resolves relative imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == root)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != root:
                continue
            names.add(module)
            names.update(f"{module}.{a.name}" for a in node.names)  # `from pkg import module`; dropped below if not a file
    return names


def _files_for(src: Path, names: set[str]) -> set[Path]:
    """The files that importing ``names`` runs: each module and every package above it (a/__init__, a/b/__init__...)."""
    found = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            path = _module_file(src, ".".join(parts[:i]))
            if path is not None:
                found.add(path)
    return found


@cache
def _deps_of(src: Path, file: Path) -> frozenset[Path]:
    own = _own_name(src, file)
    package = own if file.name == "__init__.py" else own.rpartition(".")[0]
    return frozenset(_files_for(src, imported(file.read_text(encoding="utf-8"), package)))


def closure(source: str, src: Path, root: str = "alsmsc") -> list[Path]:
    """Every file of ``src/<root>`` that running ``source`` imports, transitively, sorted."""
    seen: set[Path] = set()
    todo = list(_files_for(src, imported(source, root=root)))
    while todo:
        file = todo.pop()
        if file not in seen:
            seen.add(file)
            todo.extend(_deps_of(src, file) - seen)
    return sorted(seen)


def closure_of_module(dotted: str, src: Path) -> list[Path]:
    return closure(f"import {dotted}\n", src)


def notebook_code(path: Path) -> str:
    import json

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c.get("cell_type") == "code" and not _magic(c))


def _magic(cell) -> bool:
    text = "".join(cell["source"]).lstrip()
    return text.startswith(("%", "!"))
