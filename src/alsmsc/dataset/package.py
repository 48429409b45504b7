"""Load and validate the data package in ``data/``.

Frictionless checks what a Table Schema can express (types, required fields, enums, patterns, ranges, primary and
foreign keys, file hashes). :mod:`alsmsc.dataset.rules` adds the cross-field rules a schema cannot express. Every problem is
reported, not only the first, as ``file:row:column: message`` where ``row`` is the line number in the CSV file (the
header is line 1).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where tables are read, keeping `alsmsc build` fast when nothing changed
    import pandas as pd


from alsmsc.dataset.problems import DataError, Problem, problem_order

# --------------------------------------------------------------------------- descriptor


def read_descriptor(datapackage: Path) -> dict:
    """Parse datapackage.json, turning JSON and shape errors into Problems."""
    name = _display(datapackage)
    if not datapackage.is_file():
        raise DataError([Problem(name, None, None, "file not found; the data package needs a datapackage.json")])
    text = datapackage.read_text(encoding="utf-8-sig")
    try:
        desc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError([Problem(name, exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")]) from None
    problems = []
    if not isinstance(desc, dict):
        problems.append(Problem(name, None, None, "must be a JSON object with a 'resources' list"))
    elif not isinstance(desc.get("resources"), list) or not desc["resources"]:
        problems.append(Problem(name, None, "resources", "must be a non-empty list of tabular resources"))
    else:
        for i, res in enumerate(desc["resources"]):
            if not isinstance(res, dict) or not {"name", "path", "schema"} <= set(res):
                problems.append(Problem(name, None, f"resources[{i}]", "each resource needs 'name', 'path' and 'schema'"))
    if problems:
        raise DataError(problems)
    return desc


def version(data_dir: Path | str) -> dict[str, str]:
    """The dataset's name, version and release date, as the book shows them."""
    desc = read_descriptor(Path(data_dir) / "datapackage.json")
    return {"name": desc.get("name", ""), "version": desc.get("version", ""), "date": str(desc.get("created", ""))[:10]}


def resources(desc: dict) -> dict[str, dict]:
    return {r["name"]: r for r in desc["resources"]}


def resource_closure(desc: dict, names: Iterable[str]) -> list[str]:
    """The named resources plus every resource they reference through foreign keys, in package order."""
    by_name = resources(desc)
    unknown = sorted(set(names) - set(by_name))
    if unknown:
        raise KeyError(f"unknown data resource(s) {unknown}; the package has {sorted(by_name)}")
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for fk in by_name[name]["schema"].get("foreignKeys", []):
            todo.append(fk["reference"]["resource"])
    return [r["name"] for r in desc["resources"] if r["name"] in seen]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_hash(data_dir: Path, names: Iterable[str] | None = None) -> str:
    """One content hash over the descriptor's schemas and the named resources' files (all when None)."""
    desc = read_descriptor(data_dir / "datapackage.json")
    chosen = resources(desc) if names is None else {n: resources(desc)[n] for n in names}
    h = hashlib.sha256()
    for name in sorted(chosen):
        res = chosen[name]
        h.update(name.encode())
        h.update(json.dumps(res["schema"], sort_keys=True).encode())
        path = data_dir / res["path"]
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
    return h.hexdigest()


# --------------------------------------------------------------------------- validation


def validate(data_dir: Path, today_year: int | None = None) -> list[Problem]:
    """Every problem in the package: descriptor, files, hashes, schemas, keys and cross-field rules."""
    from alsmsc.dataset import rules

    dp_path = data_dir / "datapackage.json"
    try:
        desc = read_descriptor(dp_path)
    except DataError as exc:
        return exc.problems
    problems = _frictionless_problems(data_dir, desc)
    broken_files = {p.file for p in problems if p.row is None and p.column is None}
    readable = {}
    for name, res in resources(desc).items():
        path = data_dir / res["path"]
        if _display(path) in broken_files or not path.is_file():
            continue
        try:
            readable[name] = _read_typed(path, res["schema"])
        except Exception:  # unreadable tables were already reported by frictionless
            continue
    problems += rules.check(readable, desc, today_year=today_year)
    return sorted(set(problems), key=problem_order)


def _frictionless_problems(data_dir: Path, desc: dict) -> list[Problem]:
    import frictionless as fl

    problems: list[Problem] = []
    for res in desc["resources"]:
        path = data_dir / res["path"]
        shown = _display(path)
        if not path.is_file():
            problems.append(Problem(shown, None, None, f"file not found, but datapackage.json names it for resource '{res['name']}'"))
            continue
        raw = path.read_bytes()
        if not raw.strip():
            problems.append(
                Problem(
                    shown, None, None, "file is empty; it needs at least the header row: " + ", ".join(f["name"] for f in res["schema"]["fields"])
                )
            )
            continue
        expected = res.get("hash")
        if expected:
            algo, _, hexdigest = expected.partition(":")
            actual = hashlib.new(algo if hexdigest else "md5", raw).hexdigest()
            if actual != (hexdigest or algo):
                problems.append(
                    Problem(
                        shown,
                        None,
                        None,
                        f"checksum does not match datapackage.json ({expected[:20]}…, file is {algo}:{actual[:12]}…); "
                        "if the change is intended, run `alsmsc rehash`",
                    )
                )
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(Problem(shown, line, None, f"not UTF-8 text (byte {raw[exc.start]:#x}); save the file as UTF-8"))
            continue
    bad = {p.file for p in problems}
    # Frictionless validates the whole package at once so that foreign keys resolve across files.
    checked = {k: v for k, v in desc.items() if k != "resources"}
    checked["resources"] = [
        {k: v for k, v in r.items() if k not in ("hash", "bytes")} for r in desc["resources"] if _display(data_dir / r["path"]) not in bad
    ]
    if not checked["resources"]:
        return problems
    fields_by_res = {
        r["name"]: {**{f["name"]: f for f in r["schema"]["fields"]}, "__primary_key__": r["schema"].get("primaryKey", [])} for r in desc["resources"]
    }
    path_by_res = {r["name"]: _display(data_dir / r["path"]) for r in desc["resources"]}
    try:
        package = fl.Package(checked, basepath=str(data_dir))
        report = package.validate()
    except fl.FrictionlessException as exc:
        reasons = "; ".join(r.message.replace("The data package has an error: ", "") for r in getattr(exc, "reasons", [])) or exc.error.message
        problems.append(Problem(_display(data_dir / "datapackage.json"), None, None, f"invalid data package descriptor: {reasons}"))
        return problems
    for task in report.tasks:
        file = path_by_res.get(task.name, task.name)
        fields = fields_by_res.get(task.name, {})
        for err in task.errors:
            problems.append(_translate(file, fields, err))
    for err in report.errors:
        problems.append(Problem(_display(data_dir / "datapackage.json"), None, None, err.message))
    return problems


def _translate(file: str, fields: dict, err) -> Problem:
    """Turn a frictionless error into a Problem with a message that says what is allowed."""
    row = getattr(err, "row_number", None)
    col = getattr(err, "field_name", None) or None
    cell = getattr(err, "cell", None)
    field = fields.get(col, {}) if col else {}
    cons = field.get("constraints", {})
    kind = err.type
    if kind == "constraint-error":
        note = getattr(err, "note", "")
        if "enum" in note:
            msg = f"{cell!r} is not allowed; allowed values: {', '.join(cons['enum'])}"
        elif "pattern" in note and "x-list-of" in field:
            bad = [v for v in str(cell).split(";") if v not in field["x-list-of"]]
            msg = f"{', '.join(map(repr, bad)) or repr(cell)} not allowed; use a ';'-separated list from: {', '.join(field['x-list-of'])}"
        elif "pattern" in note:
            msg = f"{cell!r} is not a well-formed {col} ({field.get('description', '').split('.')[0]}); it must match {cons['pattern']}"
        elif "required" in note:
            msg = f"is required but empty ({field.get('description', '')})"
        elif "minimum" in note:
            msg = f"{cell!r} is below the minimum {cons['minimum']}"
        elif "maximum" in note:
            msg = f"{cell!r} is above the maximum {cons['maximum']}"
        else:
            msg = err.message
    elif kind == "type-error":
        expected = {"integer": "a whole number", "number": "a number", "boolean": "true or false", "date": "a date YYYY-MM-DD"}
        msg = f"{cell!r} is not {expected.get(field.get('type'), field.get('type', 'valid'))}"
    elif kind == "primary-key":
        pk = fields.get("__primary_key__", [])
        msg = f"duplicate {' + '.join(pk) or 'primary key'}: " + _after(err.message, "violates the primary key: ").replace(
            "the same as in the row at position", "the same as on line"
        )
    elif kind == "foreign-key":
        msg = "refers to a missing record: " + _after(err.message, "violates the foreign key: ")
    elif kind in ("extra-label", "missing-label", "incorrect-label", "blank-label", "duplicate-label"):
        expected = ", ".join(n for n in fields if n != "__primary_key__")
        label = getattr(err, "label", "")
        what = {
            "extra-label": f"unknown extra column {label!r}",
            "missing-label": "a required column is missing",
            "incorrect-label": f"column {label!r} is not the expected one at this position",
            "blank-label": "a column has an empty header",
            "duplicate-label": f"column {label!r} appears twice",
        }[kind]
        msg = f"{what}; the header must be exactly: {expected}"
        row = 1
        col = label or None
    elif kind in ("extra-cell", "missing-cell"):
        msg = (
            f"wrong number of fields: {'more' if kind == 'extra-cell' else 'fewer'} values than the "
            f"{len(fields) - 1} columns (check for an unquoted comma or an unbalanced quote)"
        )
    else:
        msg = err.message
    return Problem(file, row, col, msg)


def _after(text: str, marker: str) -> str:
    return text.split(marker, 1)[1] if marker in text else text


# --------------------------------------------------------------------------- loading


def _display(path: Path) -> str:
    """Paths in messages are relative to the project when possible (data/x.csv), else absolute."""
    path = Path(path)
    try:
        from alsmsc.files.layout import find_root

        return str(path.resolve().relative_to(find_root(path.parent)))
    except (FileNotFoundError, ValueError):
        return str(path)


_PANDAS_TYPES = {"integer": "Int64", "number": "Float64", "boolean": "boolean", "string": "string", "date": "string"}


def _read_typed(path: Path, schema: dict) -> pd.DataFrame:
    """Read one CSV with the schema's types. Blank cells are missing values (pd.NA), never empty strings."""
    import pandas as pd

    names = [f["name"] for f in schema["fields"]]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    frame = frame.reindex(columns=names)
    for f in schema["fields"]:
        col = f["name"]
        kind = f.get("type", "string")
        if kind == "boolean":
            frame[col] = frame[col].map({"true": True, "false": False, "True": True, "False": False}).astype("boolean")
        elif kind in ("integer", "number"):
            frame[col] = pd.to_numeric(frame[col]).astype(_PANDAS_TYPES[kind])
        else:
            frame[col] = frame[col].astype("string")
    frame.attrs["source"] = _display(path)
    return frame


def load(data_dir: Path | str, reads: Iterable[str]) -> dict[str, pd.DataFrame]:
    """The declared resources (and those they reference) as typed DataFrames.

    Only declared resources are returned, so an analysis cannot silently depend on a file the pipeline does not
    know it reads.
    """
    data_dir = Path(data_dir)
    desc = read_descriptor(data_dir / "datapackage.json")
    by_name = resources(desc)
    return {name: _read_typed(data_dir / by_name[name]["path"], by_name[name]["schema"]) for name in resource_closure(desc, reads)}


def rehash(data_dir: Path) -> list[str]:
    """Write each resource's current sha256 and size into datapackage.json; returns the resources that changed."""
    dp_path = data_dir / "datapackage.json"
    desc = read_descriptor(dp_path)
    changed = []
    for res in desc["resources"]:
        path = data_dir / res["path"]
        new_hash = "sha256:" + file_sha256(path)
        if res.get("hash") != new_hash:
            changed.append(res["name"])
        res["hash"] = new_hash
        res["bytes"] = path.stat().st_size
    write_descriptor(dp_path, desc)
    return changed


def write_descriptor(path: Path, desc: dict) -> None:
    from alsmsc.files.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(desc, indent=2, ensure_ascii=False) + "\n")
