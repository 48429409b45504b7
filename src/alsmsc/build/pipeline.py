"""The build as a task graph, run by doit.

Steps: validate data -> generated bibliography and data dictionary -> one task per analysis notebook (papermill) ->
status page -> Jupyter Book. doit re-runs a step when, and only when, the md5 of a file it depends on changed, or its
parameters did (``config_changed``). Each notebook depends on its own file, the package modules it imports (directly or not), and
exactly the data resources it declares in its ``reads`` parameter (plus those they reference by foreign key) — so a
data change re-runs only the notebooks that read the changed file. This closes jupyter-cache's blind spot (it keys on
code only) without hand-writing a scheduler.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from alsmsc.build import kernels
from alsmsc.files.layout import Layout


class BuildError(Exception):
    """A step failed; the message says which and why."""


@dataclass(frozen=True)
class Notebook:
    name: str
    path: Path
    reads: tuple[str, ...]
    resources: tuple[str, ...]  # reads plus foreign-key closure

    def executed(self, layout: Layout) -> Path:
        return layout.executed / f"{self.name}.ipynb"

    def outputs(self, layout: Layout) -> Path:
        return layout.generated / self.name


def declared_reads(path: Path) -> tuple[str, ...]:
    """The literal ``reads = [...]`` of a notebook's cell tagged "parameters" (the cell papermill overrides).

    Read with ``ast`` rather than papermill's inspector: importing papermill costs ~1.5 s on every build, including
    builds where nothing changed.
    """
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError) as exc:
        raise BuildError(f"{path}: not a readable notebook ({exc})") from None
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            for node in ast.parse(source).body:
                if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "reads" for t in node.targets):
                    try:
                        value = ast.literal_eval(node.value)
                    except ValueError:
                        break
                    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
                        return tuple(value)
                    break
            raise BuildError(f"{path}: the parameters cell must set `reads` to a literal list of data resource names")
    raise BuildError(f"{path}: no cell tagged 'parameters'; add one that sets `reads = [...]` (the data resources it loads)")


def discover(layout: Layout) -> list[Notebook]:
    """Every notebook in analysis/, with the data resources its parameters cell declares in ``reads``."""
    from alsmsc import dataset

    desc = dataset.read_descriptor(layout.datapackage)
    found = []
    for path in layout.notebooks():
        reads = declared_reads(path)
        try:
            closure = tuple(dataset.resource_closure(desc, reads))
        except KeyError as exc:
            raise BuildError(f"{layout.rel(path)}: `reads` in the parameters cell names {exc}") from None
        found.append(Notebook(path.stem, path, reads, closure))
    return found


def code_deps(layout: Layout, *, notebook: Path | None = None, module: str | None = None) -> list[str]:
    """The package files a notebook (or a module) runs, from the import graph: its key in the task graph."""
    from alsmsc.build import imports

    src = layout.package_src.parent
    files = imports.closure(imports.notebook_code(notebook), src) if notebook else imports.closure_of_module(module, src)
    return [str(p) for p in files]


# --------------------------------------------------------------------------- step actions


def step_validate(layout: Layout) -> None:
    from alsmsc import dataset

    problems = dataset.validate(layout.data)
    if problems:
        raise BuildError(f"data validation found {len(problems)} problem(s):\n" + "\n".join(str(p) for p in problems))
    from alsmsc.files.atomic import atomic_write_text

    atomic_write_text(layout.state / "validated.json", json.dumps({"package_hash": dataset.package_hash(layout.data)}) + "\n")


def step_notebook(layout: Layout, nb: Notebook, cell_timeout: int = kernels.CELL_TIMEOUT) -> dict:
    """Run one notebook with papermill into a staging folder, then swap its outputs into place.

    On failure the previous executed notebook and outputs stay as they were, and the error names the cell.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    from alsmsc import dataset
    from alsmsc.files.atomic import replace_dir
    from alsmsc.publish import reproducible

    staging = layout.generated / ".staging" / nb.name
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "outputs").mkdir(parents=True)
    desc = dataset.read_descriptor(layout.datapackage)
    params = {
        "data_dir": "data",
        "output_dir": layout.rel(staging / "outputs"),
        "dataset_version": desc.get("version", ""),
        "dataset_hash": dataset.package_hash(layout.data, nb.resources),
    }
    executed_tmp = staging / f"{nb.name}.ipynb"
    started = time.perf_counter()
    try:
        pm.execute_notebook(
            str(nb.path),
            str(executed_tmp),
            parameters=params,
            cwd=str(layout.root),
            kernel_name="python3",
            kernel_manager_class=kernels.MANAGER,
            execution_timeout=cell_timeout,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
        )
    except CellTimeoutError:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"notebook {layout.rel(nb.path)}: {kernels.timed_out(cell_timeout)}; previous outputs and book are unchanged") from None
    except pm.PapermillExecutionError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(
            f"notebook {layout.rel(nb.path)} failed in cell {exc.exec_count or exc.cell_index} "
            f"(index {exc.cell_index}): {exc.ename}: {exc.evalue}\n"
            f"cell source:\n{_indent(exc.source)}\nprevious outputs and book are unchanged"
        ) from None
    except Exception as exc:  # kernel died, notebook unreadable, ...
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"notebook {layout.rel(nb.path)} could not run: {type(exc).__name__}: {exc}") from None
    seconds = round(time.perf_counter() - started, 2)
    reproducible.clean_file(executed_tmp, layout.root, output_path=nb.executed(layout))
    replace_dir(staging / "outputs", nb.outputs(layout))
    layout.executed.mkdir(parents=True, exist_ok=True)
    os.replace(executed_tmp, nb.executed(layout))
    shutil.rmtree(staging, ignore_errors=True)
    return {"seconds": seconds}


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in (text or "").splitlines())


def step_bibliography(layout: Layout) -> None:
    from alsmsc.publish import bibliography

    bibliography.write(layout)


def step_trial_pages(layout: Layout) -> None:
    from alsmsc.publish import trial_pages

    trial_pages.write(layout)


def step_dictionary(layout: Layout) -> None:
    from alsmsc.publish import dictionary

    dictionary.write(layout)


def step_status(layout: Layout, notebooks: list[Notebook]) -> None:
    from alsmsc.publish import status

    status.write(layout, notebooks)


def needs_full_rebuild(layout: Layout, changed: list[str]) -> bool:
    """Sphinx notices changed pages and config values, but not edits to local extensions or static assets, nor a new
    map of trial links (every page carries it)."""
    watched = (layout.book / "_ext", layout.book / "_static")
    whole = (layout.config, layout.generated / "trials" / "links.json")
    return any(Path(c) in whole or any(Path(c).is_relative_to(w) for w in watched) for c in changed)


def step_chapter(layout: Layout, chapter, cell_timeout: int = kernels.CELL_TIMEOUT) -> dict:
    """Run one chapter (book/chapters/NAME.md) into book/NAME.ipynb; see :mod:`alsmsc.build.chapters`."""
    from alsmsc.build import chapters

    started = time.perf_counter()
    try:
        chapters.execute(layout, chapter, timeout=cell_timeout)
    except chapters.ChapterError as exc:
        raise BuildError(str(exc)) from None
    return {"seconds": round(time.perf_counter() - started, 2)}


def _serve(html: Path, paths: list[Path], folder: str) -> None:
    """Copy ``paths`` into ``html``/``folder``/, swapped in whole (a reader never sees half a set)."""
    from alsmsc.files.atomic import replace_dir

    staging = html / f".{folder}.new"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for path in paths:
        shutil.copy2(path, staging / path.name)
    replace_dir(staging, html / folder)


def serve_dataset(layout: Layout, html: Path | None = None) -> None:
    """The book serves the dataset it was built from: data/*.csv, datapackage.json, CHANGELOG.md and README.md under
    dataset/ of ``html`` (the book being built; default _build/html)."""
    from alsmsc import dataset
    from alsmsc.publish.present import DATASET_FILES

    # the declared tables only (validate checked they are regular files), never whatever else lies in data/
    tables = [layout.data / res["path"] for res in dataset.read_descriptor(layout.datapackage)["resources"]]
    files = sorted(tables) + [layout.data / name for name in DATASET_FILES]
    for path in files:
        if why := dataset.not_a_regular_file(path):
            raise BuildError(f"{layout.rel(path)} {why}; it is not published")
    _serve(html or layout.html, files, "dataset")


def step_sensitivity_run(layout: Layout, notebook: str, run, cell_timeout: int = kernels.CELL_TIMEOUT) -> dict:
    """One declared sensitivity analysis (analysis/sensitivity.yml): a papermill run with its parameters."""
    from alsmsc.build import runs

    started = time.perf_counter()
    try:
        runs.execute(layout, notebook, run.values, sensitivity_folder(layout) / "runs" / run.name, timeout=cell_timeout)
    except runs.RunError as exc:
        raise BuildError(f"sensitivity analysis {run.name!r}: {exc}") from None
    return {"seconds": round(time.perf_counter() - started, 2)}


def step_sensitivity(layout: Layout, grid_runs: list) -> None:
    """The table of how each pooled result moves across the sensitivity analyses."""
    from alsmsc.publish import sensitivity

    folder = sensitivity_folder(layout)
    tables = [(r.label, folder / "runs" / r.name / "outputs" / "tables" / "tbl_synthesis_summary.csv") for r in grid_runs]
    # provenance from the runs themselves (their run.json files are this step's inputs): the data they read, not the
    # whole package now, which may have changed in tables the runs do not read without this step running again
    records = [json.loads((folder / "runs" / r.name / "run.json").read_text(encoding="utf-8")) for r in grid_runs]
    versions = sorted({rec["dataset_version"] for rec in records})
    hashes = sorted({rec["dataset_hash"] for rec in records})
    sensitivity.write(folder, tables, ", ".join(versions), ", ".join(hashes))


def sensitivity_folder(layout: Layout) -> Path:
    from alsmsc.build.runs import SENSITIVITY

    return layout.generated / SENSITIVITY


def step_pdf(layout: Layout, strict: bool = True) -> dict:
    """The PDF edition (see :mod:`alsmsc.build.pdf`)."""
    from alsmsc.build import pdf

    try:
        return pdf.step_pdf(layout, strict)
    except pdf.PdfError as exc:
        raise BuildError(f"PDF edition: {exc}") from None


def serve_tables(layout: Layout, html: Path | None = None) -> None:
    """The book serves every table the analysis notebooks generated, as CSV under tables/ of ``html`` (default
    _build/html; a table shown truncated on a page links its complete CSV there)."""
    _serve(html or layout.html, sorted(layout.generated.glob("*/tables/*.csv")), "tables")


BOOK_STAGING = ".book-staging"
# Sphinx's caches that stay where they are (symlinked into the staging build): myst-nb's processed notebooks, whose
# resolved paths name the downloads in the HTML and which the PDF step's single-page build reads again, and the book
# extension's static scripts. Both are rewritten from the sources on every build, never trusted from a failed one.
SHARED_WITH_STAGING = ("jupyter_execute", ".alsmsc-static")
# Folders of the book that Sphinx never writes (served copies and the PDF, each replaced whole by renaming): hard-linked
# into the staging build instead of copied.
LINKED_INTO_STAGING = ("dataset", "tables", "pdf")


def _mirror(src: Path, dst: Path, linked: tuple[str, ...] = ()) -> None:
    """Make ``dst`` an exact copy of ``src``, as ``rsync -a --delete`` does with its quick check: a file whose size or
    mtime differs is copied (``copy2`` keeps the mtime, which Sphinx compares with its sources), anything ``src`` lacks
    is removed. Top-level folders named in ``linked`` are hard-linked instead. Hand-written: the standard library has
    no mirroring copy, and rsync is not on every machine."""
    for folder, dirs, files in os.walk(src):
        rel = Path(folder).relative_to(src)
        target = dst / rel
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            target.unlink()
        target.mkdir(parents=True, exist_ok=True)
        files += [d for d in dirs if os.path.islink(os.path.join(folder, d))]  # copied as links, not walked
        dirs[:] = [d for d in dirs if d not in files]
        wanted = set(dirs) | set(files)
        for extra in os.scandir(target):
            if extra.name not in wanted:
                _remove(Path(extra.path))
        link = bool(rel.parts) and rel.parts[0] in linked
        for name in files:
            source, copy = os.path.join(folder, name), target / name
            have = os.stat(source, follow_symlinks=False)
            try:
                old = os.stat(copy, follow_symlinks=False)
            except FileNotFoundError:
                old = None
            if old is not None:
                if (old.st_mode, old.st_size, old.st_mtime_ns) == (have.st_mode, have.st_size, have.st_mtime_ns):
                    continue
                _remove(copy)
            if os.path.islink(source):
                os.symlink(os.readlink(source), copy)
            elif link:
                os.link(source, copy)
            else:
                shutil.copy2(source, copy)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _stage_book(layout: Layout) -> Path:
    """The staging build folder, made an exact copy of the last complete book and of the Sphinx environment that
    describes it; Sphinx builds incrementally in it, and :func:`_publish_book` swaps both into place only on success.

    The folder is kept between builds (after a swap it holds the book before last), so making it current copies only
    what the last build changed. Whatever a failed or killed build left in it is undone the same way. What Sphinx
    writes is copied, never hard-linked: Sphinx rewrites pages in place, which would change the published files through
    a link."""
    stage = layout.build / BOOK_STAGING
    out = stage / "_build"
    out.mkdir(parents=True, exist_ok=True)
    for name, linked in (("html", LINKED_INTO_STAGING), (".doctrees", ())):
        if (layout.build / name).is_dir():
            _mirror(layout.build / name, out / name, linked)
        elif (out / name).exists():
            shutil.rmtree(out / name)
    for name in SHARED_WITH_STAGING:
        (layout.build / name).mkdir(parents=True, exist_ok=True)
        if not (out / name).is_symlink():
            (out / name).symlink_to(Path("..", "..", name), target_is_directory=True)
    return stage


def _swap(a: Path, b: Path) -> None:
    """Exchange two folders: in one step where the system can (renameat2), else by three renames (then ``b`` is
    missing for the instant between two of them)."""
    from alsmsc.files.atomic import exchange_dirs

    aside = a.with_name(f".{a.name}.swap")
    if aside.exists():
        shutil.rmtree(aside)
    if not b.exists():
        os.replace(a, b)
        return
    if exchange_dirs(a, b):
        return
    os.replace(b, aside)
    os.replace(a, b)
    os.replace(aside, a)


def _publish_book(layout: Layout, stage: Path) -> None:
    """Swap the staged book and its environment into place: the pages first, the environment last (stopped in between,
    an older environment with newer pages makes the next build re-read more pages, never fewer). The previous book
    goes to the staging folder, to be brought up to date by the next build."""
    out = stage / "_build"
    _swap(out / "html", layout.html)
    _swap(out / ".doctrees", layout.build / ".doctrees")


def step_book(layout: Layout, strict: bool = True, fresh: bool = False, changed: list[str] | None = None) -> dict:
    """Jupyter Book 1 build of book/ with the root _config.yml, warnings as errors, into a staging folder that replaces
    _build/html (and the Sphinx environment) only when the build succeeded; a failed book leaves the previous one.
    ``fresh`` (`alsmsc build --force`) starts Sphinx from an empty environment and writes every page."""
    started = time.perf_counter()
    try:
        stage = _stage_book(layout)
        if fresh:  # Sphinx then reads every source anew: nothing it remembered can survive into the pages
            shutil.rmtree(stage / "_build" / ".doctrees", ignore_errors=True)
    except OSError as exc:  # a full disk, a read-only folder: said plainly, like any failed step
        where = layout.rel(layout.build / BOOK_STAGING)
        raise BuildError(f"{where}: could not copy the book to build it ({exc}); the previous book is unchanged") from None
    staged = round(time.perf_counter() - started, 2)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb if jb.exists() else "jupyter-book"), "build", "book", "--config", "_config.yml", "--path-output", layout.rel(stage)]
    cmd += ["--builder", "html"]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    full = fresh or needs_full_rebuild(layout, changed or [])
    if full:
        cmd.append("--all")
    proc = subprocess.run(cmd, cwd=layout.root, capture_output=True, text=True)
    log = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)  # Jupyter Book colours its output even in a pipe
    from alsmsc.files.atomic import atomic_write_text

    atomic_write_text(layout.state / "book.log", log)
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    if proc.returncode != 0:
        shown = "\n".join(warnings[:40]) or log[-4000:]
        kept = f"the previous book in {layout.rel(layout.html)} was kept unchanged" if layout.html.is_dir() else "no book was published"
        raise BuildError(
            f"book build failed ({len(warnings)} warning/error line(s); full log in {layout.rel(layout.state / 'book.log')}); {kept}:\n{shown}"
        )
    html = stage / "_build" / "html"
    try:
        serve_dataset(layout, html)
        serve_tables(layout, html)
        _publish_book(layout, stage)
    except OSError as exc:
        raise BuildError(f"{layout.rel(layout.html)}: the new book could not be put in place ({exc}); the next build tries again") from None
    return {"seconds": round(time.perf_counter() - started, 2), "staging_seconds": staged, "warnings": len(warnings), "full_rebuild": full}


# --------------------------------------------------------------------------- task graph


def _files_under(folder: Path, suffixes: tuple[str, ...]) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes and "_generated" not in p.parts)


def _action(fn, *args, pass_changed: bool = False):
    """Wrap a step so that a BuildError becomes a clean doit failure (message, no traceback)."""
    from doit.exceptions import TaskFailed

    def run(changed):  # doit fills `changed` with the file_deps that changed since the last successful run
        try:
            result = fn(*args, changed=changed) if pass_changed else fn(*args)
        except BuildError as exc:
            return TaskFailed(str(exc))
        return result if isinstance(result, dict) else None

    run.__name__ = fn.__name__
    return run


def task_namespace(
    layout: Layout,
    notebooks: list[Notebook],
    strict: bool = True,
    chapters: list | None = None,
    cell_timeout: int = kernels.CELL_TIMEOUT,
    force: bool = False,
) -> dict:
    """The doit task generators for this project (a namespace for doit's ModuleTaskLoader)."""
    from doit.tools import config_changed

    from alsmsc import dataset

    desc = dataset.read_descriptor(layout.datapackage)
    by_name = dataset.resources(desc)
    res_path = {r["name"]: str(layout.data / r["path"]) for r in desc["resources"]}
    dp = str(layout.datapackage)
    validated = str(layout.state / "validated.json")

    def task_validate():
        return {
            "actions": [_action(step_validate, layout)],
            "file_dep": [dp, *res_path.values()],
            "targets": [validated],
            "doc": "check the data package",
        }

    def task_bibliography():
        return {
            "actions": [_action(step_bibliography, layout)],
            "task_dep": ["validate"],
            "file_dep": [res_path["studies"], *code_deps(layout, module="alsmsc.publish.bibliography")],
            "targets": [str(layout.generated / "references.bib")],
            "doc": "references.bib from studies.csv",
        }

    def task_trial_pages():
        from alsmsc.publish import trial_pages

        return {
            "actions": [_action(step_trial_pages, layout)],
            "task_dep": ["validate"],
            "file_dep": [*(res_path[r] for r in trial_pages.READS), *code_deps(layout, module="alsmsc.publish.trial_pages")],
            "targets": [
                str(layout.generated / "trials" / "index.md"),
                str(layout.generated / "animal" / "index.md"),
                str(layout.generated / "trials" / "links.json"),
            ],
            "doc": "a page per trial and per animal study from the data",
        }

    def task_dictionary():
        return {
            "actions": [_action(step_dictionary, layout)],
            "task_dep": ["validate"],
            "file_dep": [dp, *code_deps(layout, module="alsmsc.publish.dictionary")],
            "targets": [str(layout.generated / "data_dictionary.md")],
            "doc": "data dictionary from the schemas",
        }

    def task_notebook():
        for nb in notebooks:
            # Keyed on the schemas of the tables it reads and the dataset version (a papermill parameter), not on
            # datapackage.json as a file: its checksums change whenever any data file changes.
            params = {
                "reads": list(nb.resources),
                "kernel": "python3",
                "version": desc.get("version", ""),
                "schemas": {r: by_name[r]["schema"] for r in nb.resources},
            }
            yield {
                "name": nb.name,
                "actions": [_action(step_notebook, layout, nb, cell_timeout)],
                "task_dep": ["validate"],
                "file_dep": [str(nb.path), *code_deps(layout, notebook=nb.path), *(res_path[r] for r in nb.resources)],
                "targets": [str(nb.executed(layout))],
                "uptodate": [config_changed(params)],
                "doc": f"run analysis/{nb.path.name}",
            }

    def task_status():
        from alsmsc.publish import status

        return {
            "actions": [_action(step_status, layout, notebooks)],
            "file_dep": [dp, *(str(nb.executed(layout)) for nb in notebooks), *code_deps(layout, module="alsmsc.publish.status")],
            "uptodate": [config_changed(status.environment_key(layout))],
            "targets": [str(layout.generated / "status.md"), str(layout.generated / "status.json")],
            "doc": "status page data",
        }

    from alsmsc.build import runs

    grid_notebook, grid_runs = runs.grid(layout)
    by_notebook = {nb.name: nb for nb in notebooks}
    # what a chapter's `alsmsc: reads` entry stands for in the task graph: a notebook's executed copy, or the
    # sensitivity table's numbers
    produced = {nb.name: str(nb.executed(layout)) for nb in notebooks}
    produced[runs.SENSITIVITY] = str(sensitivity_folder(layout) / "numbers.json")
    chapters = chapters or []

    def task_sensitivity_run():
        if not grid_runs:
            return
        nb = by_notebook[grid_notebook]
        inputs = [str(nb.path), *code_deps(layout, notebook=nb.path), *(res_path[r] for r in nb.resources)]
        for run in grid_runs:
            yield {
                "name": run.name,
                "actions": [_action(step_sensitivity_run, layout, grid_notebook, run, cell_timeout)],
                "task_dep": ["validate"],
                "file_dep": inputs,
                "targets": [str(sensitivity_folder(layout) / "runs" / run.name / "run.json")],
                "uptodate": [config_changed({"values": run.values, "version": desc.get("version", "")})],
                "doc": f"sensitivity analysis {run.name}: {run.label}",
            }

    def task_sensitivity():
        folder = sensitivity_folder(layout)
        return {
            "actions": [_action(step_sensitivity, layout, grid_runs)],
            "file_dep": [
                *(str(folder / "runs" / r.name / "run.json") for r in grid_runs),
                *code_deps(layout, module="alsmsc.publish.sensitivity"),
            ],
            "targets": [str(folder / "numbers.json")],
            "uptodate": [config_changed({"runs": [(r.name, r.label) for r in grid_runs]})],
            "doc": "the sensitivity table",
        }

    def task_chapter():
        from alsmsc.build import imports

        src = layout.package_src.parent
        for ch in chapters:
            yield {
                "name": ch.name,
                "actions": [_action(step_chapter, layout, ch, cell_timeout)],
                "file_dep": [
                    str(ch.source),
                    *(str(p) for p in imports.closure(ch.code(), src)),
                    *(produced[r] for r in ch.reads),
                    *(str(p) for p in ch.extra_inputs(layout)),
                ],
                "targets": [str(layout.executed_chapter(ch.name))],
                "doc": f"run book/chapters/{ch.source.name}",
            }

    def book_inputs():
        return [
            str(layout.config),
            *(
                p
                for p in _files_under(layout.book, (".md", ".yml", ".py", ".css", ".js", ".bib", ".ipynb"))
                if Path(p).parent != layout.book or not p.endswith(".ipynb")
            ),
            *(str(layout.executed_chapter(ch.name)) for ch in chapters),
            *(str(nb.executed(layout)) for nb in notebooks),
            str(layout.generated / "references.bib"),
            str(layout.generated / "data_dictionary.md"),
            str(layout.generated / "trials" / "index.md"),  # carries a digest of every trial page
            str(layout.generated / "animal" / "index.md"),  # and of every animal study page
            str(layout.generated / "trials" / "links.json"),
            str(layout.generated / "status.md"),
            str(layout.generated / "status.json"),
            str(layout.data / "CHANGELOG.md"),
            *res_path.values(),  # the book serves the dataset it was built from (serve_dataset)
        ]

    book_deps = book_inputs()

    def task_book():
        # No globbing of generated files here: the list must be the same before and after a cold build, or the first
        # no-op build would re-run the book. Each executed notebook changes whenever its outputs do.
        return {
            "actions": [_action(step_book, layout, strict, force, pass_changed=True)],
            "file_dep": book_deps,
            "targets": [str(layout.html / "index.html")],
            "doc": "build the Jupyter Book",
        }

    def task_pdf():
        return {
            "actions": [_action(step_pdf, layout, strict)],
            "task_dep": ["book"],
            # everything the book reads, and the code that prints it
            "file_dep": [*book_deps, *code_deps(layout, module="alsmsc.build.pdf")],
            "targets": [str(layout.pdf)],
            "doc": "print the PDF edition",
        }

    return {
        "task_validate": task_validate,
        "task_bibliography": task_bibliography,
        "task_dictionary": task_dictionary,
        "task_trial_pages": task_trial_pages,
        "task_notebook": task_notebook,
        "task_chapter": task_chapter,
        "task_status": task_status,
        "task_book": task_book,
        "task_pdf": task_pdf,
        "task_sensitivity_run": task_sensitivity_run,
        "task_sensitivity": task_sensitivity,
        "DOIT_CONFIG": {
            "dep_file": str(layout.state / "doit.json"),
            "backend": "json",
            "check_file_uptodate": "md5",
            # 2 = no output capture: doit's capture swaps sys.stderr process-wide, which races between
            # parallel threads and can leave the progress display writing into a dead buffer.
            "verbosity": 2,
        },
    }


@dataclass
class Summary:
    ran: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    total_seconds: float = 0.0
    html: Path | None = None

    def as_dict(self) -> dict:
        return {
            "ran": self.ran,
            "reused": self.reused,
            "failed": self.failed,
            "seconds": self.seconds,
            "errors": self.errors,
            "total_seconds": self.total_seconds,
            "ok": self.ok,
        }

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors.get("doit")


def run(
    layout: Layout,
    targets: list[str],
    jobs: int | None = None,
    always: bool = False,
    strict: bool = True,
    quiet: bool = False,
    cell_timeout: int = kernels.CELL_TIMEOUT,
) -> Summary:
    """Run the named doit targets (e.g. ["book"]) and everything they depend on that is out of date."""
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain

    from alsmsc.build.report import make_reporter

    layout.state.mkdir(parents=True, exist_ok=True)
    kernels.log_to(layout.state / "kernels.log")
    started = time.perf_counter()
    summary = Summary()
    try:
        notebooks = discover(layout)
    except BuildError as exc:
        summary.failed.append("discover")
        summary.errors["discover"] = str(exc)
        return summary
    except Exception as exc:
        from alsmsc.dataset import DataError

        if isinstance(exc, DataError):
            summary.failed.append("validate")
            summary.errors["validate"] = "data validation found problems:\n" + str(exc)
            return summary
        raise
    from alsmsc.build import chapters as chapter_sources

    try:
        chapters = chapter_sources.discover(layout, {nb.name for nb in notebooks})
    except chapter_sources.ChapterError as exc:
        summary.failed.append("discover")
        summary.errors["discover"] = str(exc)
        return summary
    from alsmsc.build.runs import RunError

    try:
        namespace = task_namespace(layout, notebooks, strict=strict, chapters=chapters, cell_timeout=cell_timeout, force=always)
    except RunError as exc:  # analysis/sensitivity.yml declares a run the notebook cannot take
        summary.failed.append("discover")
        summary.errors["discover"] = str(exc)
        return summary
    namespace["DOIT_CONFIG"]["reporter"] = make_reporter(summary, quiet=quiet)
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    argv = ["run", "--parallel-type", "thread", "-n", str(jobs)]
    if always:
        argv.append("--always-execute")
    code = DoitMain(ModuleTaskLoader(namespace)).run(argv + targets)
    summary.total_seconds = round(time.perf_counter() - started, 2)
    if code != 0 and not summary.failed:
        summary.errors["doit"] = f"doit exited with code {code}"
    if (layout.html / "index.html").exists():
        summary.html = layout.html / "index.html"
    return summary
