"""Sensitivity analyses: run an analysis notebook with other parameter values into a folder of its own.

``alsmsc run evidence_synthesis -p tau2_method=DL -p knha=false --out runs/dl`` checks every name and value against the
notebook's ``parameters`` cell before anything runs (papermill reads the cell: names, defaults and the comment after
each; a comment's ``allowed: A, B`` or ``range: LO to HI`` is enforced), validates the data, runs the notebook with
papermill in a staging folder and moves it into place only when it succeeded. Beside the executed notebook and its
outputs it records the parameters, the dataset version and hash, and the commit. The published outputs and the book
are never touched.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from alsmsc.build import kernels
from alsmsc.files.atomic import atomic_write_text
from alsmsc.files.layout import Layout

SENSITIVITY = "sensitivity"  # the declared runs' table, as chapters name it in `alsmsc: reads`
# Set by the pipeline for every run, never by an analyst
RESERVED = ("reads", "data_dir", "output_dir", "dataset_version", "dataset_hash")
TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


class RunError(ValueError):
    """A run that cannot start or did not finish; the message is one line that says what to change."""


@dataclass(frozen=True)
class Parameter:
    name: str
    default: object
    help: str

    @property
    def allowed(self) -> list[str] | None:
        m = re.search(r"allowed:\s*([^;]+)", self.help)
        return [v.strip() for v in m.group(1).split(",")] if m else None

    @property
    def range(self) -> tuple[float, float] | None:
        m = re.search(r"range:\s*(-?[\d.]+)\s*to\s*(-?[\d.]+)", self.help)
        return (float(m.group(1)), float(m.group(2))) if m else None

    def parse(self, text: str):
        """The value ``text`` stands for, of the default's type, or a RunError saying what is allowed."""
        kind, raw = type(self.default), text.strip()
        if kind is bool:
            if raw.lower() in TRUE:
                return True
            if raw.lower() in FALSE:
                return False
            raise RunError(f"parameter {self.name}: {text!r} is not true or false")
        if self.default is None and raw.lower() in ("none", "null", ""):
            return None
        if kind in (int, float) or self.default is None:
            try:
                value = int(raw) if kind is int else float(raw)
            except ValueError:
                wanted = "a whole number" if kind is int else "a number" + (" or None" if self.default is None else "")
                raise RunError(f"parameter {self.name}: {text!r} is not {wanted}") from None
            if self.range and not self.range[0] <= value <= self.range[1]:
                raise RunError(f"parameter {self.name}: {value:g} is outside its range, {self.range[0]:g} to {self.range[1]:g}")
            return value
        if kind is str:
            if self.allowed and raw not in self.allowed:
                raise RunError(f"parameter {self.name}: {raw!r} is not allowed; allowed: {', '.join(self.allowed)}")
            return raw
        raise RunError(f"parameter {self.name} (a {kind.__name__}) cannot be set from the command line")


def parameters(notebook: Path) -> dict[str, Parameter]:
    """The parameters an analyst may set: every name of the notebook's parameters cell but the pipeline's own, with
    its default and the comment after it.

    Read with ``ast`` and ``tokenize`` (as :func:`alsmsc.build.pipeline.declared_reads` reads ``reads``) rather than
    papermill's inspector: every build reads the declared sensitivity runs, and importing papermill would cost each
    build, even one where nothing changed, a fifth of a second."""
    import ast
    import io
    import tokenize

    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    cell = next((c for c in cells if c.get("cell_type") == "code" and "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        raise RunError(f"{notebook.name} has no cell tagged 'parameters'")
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    comments = {t.start[0]: t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT}
    found = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        if name in RESERVED:
            continue
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise RunError(f"{notebook.name}: the default of parameter {name} is not a plain value") from None
        found[name] = Parameter(name, default, comments.get(node.lineno, ""))
    return found


def parse_overrides(pairs: list[str], known: dict[str, Parameter], notebook: str) -> dict[str, object]:
    """``["name=value", ...]`` -> {name: value}, each name known and each value valid, or a one-line RunError."""
    values = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise RunError(f"-p {pair!r}: write NAME=VALUE")
        if name in RESERVED:
            raise RunError(f"parameter {name} is set by the pipeline, not by -p")
        if name not in known:
            raise RunError(f"{notebook} has no parameter {name!r}; its parameters: {', '.join(known)}")
        if name in values:
            raise RunError(f"parameter {name} is given twice")
        values[name] = known[name].parse(text)
    return values


def default_folder(layout: Layout, notebook: str, values: dict) -> Path:
    """_build/runs/NOTEBOOK-<first 10 hex of the parameters' hash>: the same parameters give the same folder."""
    import hashlib

    key = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return layout.build / "runs" / f"{notebook}-{key}"


def run(layout: Layout, notebook: str, pairs: list[str], out: Path | None = None, timeout: int | None = None) -> Path:
    """Run ``notebook`` with the parameters ``pairs`` into ``out``; returns the folder. Raises RunError."""
    from alsmsc import dataset

    path = layout.analysis / f"{notebook}.ipynb"
    if not path.is_file():
        known = ", ".join(p.stem for p in layout.notebooks())
        raise RunError(f"no notebook named {notebook} in analysis/; available: {known}")
    known = parameters(path)
    values = parse_overrides(pairs, known, notebook)
    folder = Path(out) if out is not None else default_folder(layout, notebook, values)
    folder = folder if folder.is_absolute() else Path.cwd() / folder
    protected = [layout.html, layout.generated, layout.data, layout.analysis, layout.book]
    if any(folder.resolve() == p.resolve() or folder.resolve().is_relative_to(p.resolve()) for p in protected):
        raise RunError(f"--out {folder} is inside the published outputs, the book or the sources; choose a folder of its own")
    if folder.exists() and any(folder.iterdir()) and not (folder / "run.json").is_file():
        raise RunError(f"--out {folder} exists and is not an earlier run (no run.json); choose a new or empty folder")
    problems = dataset.validate(layout.data)
    if problems:
        raise RunError(f"data/ has {len(problems)} problem(s); run `alsmsc validate` (first: {problems[0]})")
    return execute(layout, notebook, values, folder, timeout)


def execute(layout: Layout, notebook: str, values: dict, folder: Path, timeout: int | None = None) -> Path:
    """Run ``notebook`` with checked ``values`` in a staging folder and move it to ``folder`` when it succeeded; a cell
    running longer than ``timeout`` seconds (default kernels.CELL_TIMEOUT) stops the run."""
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError

    from alsmsc import dataset
    from alsmsc.publish import reproducible
    from alsmsc.publish.status import git_commit

    path = layout.analysis / f"{notebook}.ipynb"
    known = parameters(path)
    desc = dataset.read_descriptor(layout.datapackage)
    reads = _declared_reads(path)
    staging = folder.with_name(f".{folder.name}.partial")
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "outputs").mkdir(parents=True)
    record = {
        "notebook": f"analysis/{notebook}.ipynb",
        "parameters": {name: values.get(name, p.default) for name, p in known.items()},
        "set_by_you": values,
        "dataset_version": desc.get("version", ""),
        "dataset_hash": dataset.package_hash(layout.data, reads),
        "commit": git_commit(layout),
    }
    try:
        pm.execute_notebook(
            str(path),
            str(staging / f"{notebook}.ipynb"),
            parameters={
                **values,
                "data_dir": layout.rel(layout.data),  # relative to the kernel's cwd (the root) when inside it:
                "output_dir": layout.rel(staging / "outputs"),  # no absolute path of the checkout in the notebook
                "dataset_version": record["dataset_version"],
                "dataset_hash": record["dataset_hash"],
            },
            cwd=str(layout.root),
            kernel_name="python3",
            kernel_manager_class=kernels.MANAGER,
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout or kernels.CELL_TIMEOUT,
            request_save_on_cell_execute=False,
        )
    except CellTimeoutError:
        shutil.rmtree(staging, ignore_errors=True)
        raise RunError(f"{notebook}: {kernels.timed_out(timeout or kernels.CELL_TIMEOUT)}") from None
    except pm.PapermillExecutionError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise RunError(f"{notebook} failed in cell {exc.exec_count or exc.cell_index}: {exc.ename}: {str(exc.evalue).splitlines()[0]}") from None
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise RunError(f"{notebook} could not run: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    reproducible.clean_file(staging / f"{notebook}.ipynb", layout.root, output_path=folder / f"{notebook}.ipynb")
    atomic_write_text(staging / "run.json", json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(folder)
    return folder


@dataclass(frozen=True)
class GridRun:
    name: str
    label: str
    values: dict


def grid(layout: Layout) -> tuple[str, list[GridRun]]:
    """The declared sensitivity analyses (analysis/sensitivity.yml): the notebook, and each run's checked values."""
    import yaml

    path = layout.analysis / "sensitivity.yml"
    if not path.is_file():
        return "", []
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    notebook = spec.get("notebook", "")
    nb_path = layout.analysis / f"{notebook}.ipynb"
    if not nb_path.is_file():
        raise RunError(f"{layout.rel(path)}: notebook {notebook!r} is not in analysis/")
    known = parameters(nb_path)
    found, names = [], set()
    for i, item in enumerate(spec.get("runs") or [], start=1):
        where = f"{layout.rel(path)}: run {i}"
        if not isinstance(item, dict) or not re.fullmatch(r"[a-z0-9_]+", str(item.get("name", ""))) or not item.get("label"):
            raise RunError(f"{where}: needs a name (lower-case letters, digits, _) and a label")
        if item["name"] in names:
            raise RunError(f"{where}: the name {item['name']!r} is used twice")
        names.add(item["name"])
        params = item.get("parameters") or {}
        pairs = [f"{k}={'None' if v is None else v}" for k, v in params.items()]
        try:
            values = parse_overrides(pairs, known, notebook)
        except RunError as exc:
            raise RunError(f"{where} ({item['name']}): {exc}") from None
        found.append(GridRun(item["name"], str(item["label"]), values))
    return notebook, found


def _declared_reads(path: Path) -> list[str]:
    from alsmsc.build.pipeline import declared_reads

    return list(declared_reads(path))
