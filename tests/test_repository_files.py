"""Contributor-facing files: workflows and issue forms parse and have what GitHub needs; the docs name real commands."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from .conftest import ROOT, alsmsc


def test_workflows_parse_and_run_the_readme_commands():
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        wf = yaml.safe_load(path.read_text())
        assert wf["jobs"], path.name
        assert True in wf or "on" in wf, path.name  # YAML reads the bare key `on` as True
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "make test" in ci and "make book" in ci and "upload-pages-artifact" in ci and "if: failure()" in ci
    watch = yaml.safe_load((ROOT / ".github" / "workflows" / "registry-watch.yml").read_text())
    assert "schedule" in watch[True]


def test_every_action_is_pinned_to_a_commit():
    """A tag can be moved to other code; a commit cannot. The comment names the release the commit is."""
    steps = []
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            steps += [(path.name, s["uses"]) for s in job.get("steps", []) if "uses" in s]
    assert steps
    assert [(f, u) for f, u in steps if not re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u)] == []
    for path in (ROOT / ".github" / "workflows").glob("*.yml"):
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{path.name}: {line.strip()} (add the release as a comment)"
    assert "registry diff --fetch --exit-code" in (ROOT / ".github" / "workflows" / "registry-watch.yml").read_text()


def test_issue_forms_have_required_fields():
    for path in (ROOT / ".github" / "ISSUE_TEMPLATE").glob("*.yml"):
        form = yaml.safe_load(path.read_text())
        assert form["name"] and form["description"] and form["body"], path.name
        assert any(item.get("validations", {}).get("required") for item in form["body"]), path.name


def test_documented_commands_exist():
    helptext = alsmsc(ROOT, "--help").stdout
    for command in ("new-study", "release", "registry", "meta", "escalc", "validate", "rehash"):
        assert f"  {command}" in helptext
        assert command in (ROOT / "CONTRIBUTING.md").read_text() + (ROOT / "README.md").read_text()


RUN_NOT_IMPORTED = {"jupyter-book": "the book step runs its command", "ipykernel": "the kernel papermill starts"}


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level modules imported by the package, the book extension, the notebooks and the benchmarks."""
    import ast
    import json
    import sys

    sources = [(p, p.read_text()) for folder in ("src", "book/_ext", "benchmarks", "scripts") for p in (ROOT / folder).rglob("*.py")]
    for nb in (ROOT / "analysis").glob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        sources.append((nb, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")))
    found: dict[str, set[str]] = {}
    local = {p.stem for p in (ROOT / "benchmarks").glob("*.py")}  # the benchmarks import one another
    for path, text in sources:
        for node in ast.walk(ast.parse(text)):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("alsmsc", "alsmsc_book") and top not in local:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_declared_dependencies_are_exactly_those_imported_or_run():
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731  (PEP 503)
    declared = {norm(re.split(r"[<>=!~\[ ]", d)[0]) for d in project["dependencies"]}
    dists = packages_distributions()
    imported = {}
    for module, files in _third_party_imports().items():
        assert module in dists, f"{module} is imported by {sorted(files)} but no installed distribution provides it"
        for dist in dists[module]:
            imported[norm(dist)] = files
    undeclared = {d: sorted(f) for d, f in imported.items() if d not in declared}
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
    unused = declared - set(imported) - set(RUN_NOT_IMPORTED)
    assert not unused, f"declared in pyproject.toml but never imported: {sorted(unused)}"


# an absolute folder of some machine: nobody else can rerun what reads from it, and it leaks into published pages
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|home/\w+|Users/\w+|root|tmp/\w+)/[\w.-]+")


def tracked_files() -> list[Path]:
    proc = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode == 0 and proc.stdout:
        return [ROOT / name for name in proc.stdout.split("\0") if name]
    return [p for p in ROOT.rglob("*") if p.is_file() and not {".git", ".venv", "_build"} & set(p.relative_to(ROOT).parts)]


def test_no_source_file_reads_from_an_absolute_folder_of_one_machine():
    this = Path(__file__).resolve()
    offenders = []
    for path in tracked_files():
        if path.resolve() == this or path.suffix not in {".py", ".md", ".yml", ".yaml", ".toml", ".cfg", ".sh", ".R", ".json", ".ipynb", ""}:
            continue
        if "verification-notes" in path.parts or not path.is_file():  # notes quote the folders they were taken in
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if MACHINE_PATH.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert offenders == []


def test_the_converters_read_notes_that_are_in_the_repository():
    notes = ROOT / "research" / "verification-notes"
    for script in (ROOT / "research" / "converters").glob("*.py"):
        for name in re.findall(r"[\"']([\w-]+\.jsonl)[\"']", script.read_text(encoding="utf-8")):
            assert list(notes.rglob(name)), f"{script.name} reads {name}, which is not under research/verification-notes"


def test_every_pinned_package_carries_its_hashes():
    """requirements/*.txt are installed with --require-hashes (scripts/bootstrap.sh): each pin needs a sha256."""
    for name in ("lock.txt", "bootstrap.txt"):
        text = (ROOT / "requirements" / name).read_text()
        entries = re.split(r"\n(?=\S)", text.strip())  # a pin and its indented --hash continuation lines
        assert entries, name
        for entry in entries:
            assert re.match(r"[A-Za-z0-9_.-]+(\[[\w,]+\])?==\S+", entry), f"{name}: not an exact pin: {entry[:60]}"
            assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), f"{name}: no hash for {entry.split()[0]}"
    assert "--require-hashes -r requirements/lock.txt" in (ROOT / "scripts" / "bootstrap.sh").read_text()
    assert "--require-hashes -r requirements/bootstrap.txt" in (ROOT / "scripts" / "bootstrap.sh").read_text()
