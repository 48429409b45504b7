"""Load and validate the data package in ``data/``.

Frictionless checks what a Table Schema can express (types, required fields, enums, patterns, ranges, primary and
foreign keys, file hashes). :mod:`alsmsc.dataset.rules` adds the cross-field rules a schema cannot express. Every problem is
reported, not only the first, as ``file:row:column: message`` where ``row`` is the line number in the CSV file (the
header is line 1).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where tables are read, keeping `alsmsc build` fast when nothing changed
    import pandas as pd


from alsmsc.dataset import descriptor, limits
from alsmsc.dataset.problems import DataError, Problem, problem_order

# --------------------------------------------------------------------------- descriptor


def read_descriptor(datapackage: Path) -> dict:
    """Parse datapackage.json and check its shape (:mod:`alsmsc.dataset.descriptor`) before anything uses it.

    Every way it can be wrong, from bad JSON to a missing column the analyses read, raises :class:`DataError`; a
    descriptor that passed is cached by its content, so the build's many reads check it once per process.
    """
    raw = _read_bytes(datapackage)
    cache_key = hashlib.sha256(raw).digest()
    if cache_key in _DESCRIPTORS:
        return copy.deepcopy(_DESCRIPTORS[cache_key])
    name = _display(datapackage)
    desc = _parse(raw, name)
    problems = descriptor.problems(desc, name)
    if problems:
        raise DataError(problems)
    _DESCRIPTORS[cache_key] = copy.deepcopy(desc)
    return desc


def not_a_regular_file(path: Path) -> str | None:
    """Why ``path`` must not be read as data, or None. A symbolic link could point at any file of the machine (its
    lines would then appear in messages that CI prints publicly), so it is refused without being opened."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None  # the callers report a missing file in their own words
    if stat.S_ISLNK(mode):
        return "is a symbolic link; data files must be regular files inside data/ (put the file itself there)"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a folder, pipe or device); data files must be regular files inside data/"
    return None


def _read_bytes(datapackage: Path) -> bytes:
    name = _display(datapackage)
    if why := not_a_regular_file(datapackage):
        raise DataError([Problem(name, None, None, why)])
    if not datapackage.is_file():
        raise DataError([Problem(name, None, None, "file not found; the data package needs a datapackage.json")])
    size = datapackage.stat().st_size
    if size > limits.MAX_DESCRIPTOR_BYTES:
        raise DataError([Problem(name, None, None, f"is {size:,} bytes; datapackage.json may be at most {limits.MAX_DESCRIPTOR_BYTES:,}")])
    return datapackage.read_bytes()


def _parse(raw: bytes, name: str) -> dict:
    """The JSON object with a non-empty resources list, or DataError."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError([Problem(name, None, None, f"not UTF-8 text (byte {raw[exc.start]:#x}); save it as UTF-8")]) from None
    try:
        desc = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise DataError([Problem(name, exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")]) from None
    except RecursionError:
        raise DataError([Problem(name, None, None, "is nested too deeply to read; a data package descriptor is a few levels deep")]) from None
    except ValueError as exc:  # NaN or Infinity, which JSON does not have
        raise DataError([Problem(name, None, None, f"not valid JSON: {exc}")]) from None
    if not isinstance(desc, dict):
        raise DataError([Problem(name, None, None, "must be a JSON object with a 'resources' list")])
    if not isinstance(desc.get("resources"), list) or not desc["resources"]:  # nothing else can be checked without it
        raise DataError([Problem(name, None, "resources", "must be a non-empty list of tabular resources")])
    return desc


_DESCRIPTORS: dict[bytes, dict] = {}


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number")
    return value


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
    """Every problem in the package: descriptor, sizes, raw cells, hashes, schemas, keys and cross-field rules.

    The cross-field rules see only tables whose file and header are sound; a table that cannot be read as typed
    is itself a problem, never silently left out.
    """
    from alsmsc.dataset import rules

    dp_path = data_dir / "datapackage.json"
    try:
        desc = read_descriptor(dp_path)
    except DataError as exc:
        return exc.problems
    problems, unusable = _file_problems(data_dir, desc)
    problems += _frictionless_problems(data_dir, desc, skip=unusable)
    unusable |= {p.file for p in problems if p.row == 1}  # a header Frictionless could not match to the schema
    readable = {}
    for name, res in resources(desc).items():
        path = data_dir / res["path"]
        if _display(path) in unusable:
            continue
        try:
            with warnings.catch_warnings():  # e.g. a too-large integer's cast warning: the cell checks reported it
                warnings.simplefilter("ignore")
                readable[name] = _read_typed(path, res["schema"], coerce=True)
        except Exception as exc:  # noqa: BLE001 - any failure to read becomes a problem, not a traceback
            problems.append(Problem(_display(path), None, None, f"cannot be read as a typed table ({type(exc).__name__}: {str(exc)[:200]})"))
    problems += rules.check(readable, desc, today_year=today_year)
    return sorted(set(problems), key=problem_order)


def _file_problems(data_dir: Path, desc: dict) -> tuple[list[Problem], set[str]]:
    """Existence, size, checksum, encoding and raw cells of each file; and the files nothing else should read."""
    from alsmsc.dataset import cells

    problems: list[Problem] = []
    unusable: set[str] = set()
    for res in desc["resources"]:
        path = data_dir / res["path"]
        shown = _display(path)
        if why := not_a_regular_file(path):
            found, broken = [Problem(shown, None, None, why)], True
        elif not path.is_file():
            found, broken = [Problem(shown, None, None, f"file not found, but datapackage.json names it for resource '{res['name']}'")], True
        elif (size := path.stat().st_size) > limits.MAX_TABLE_BYTES:
            found, broken = [Problem(shown, None, None, f"is {size:,} bytes; a table may be at most {limits.MAX_TABLE_BYTES:,} bytes")], True
        else:
            found, broken = _content_problems(shown, res, path.read_bytes(), cells)
        problems += found
        if broken:
            unusable.add(shown)
    return problems, unusable


def _content_problems(shown: str, res: dict, raw: bytes, cells) -> tuple[list[Problem], bool]:
    if not raw.strip():
        return [
            Problem(shown, None, None, "file is empty; it needs at least the header row: " + ", ".join(f["name"] for f in res["schema"]["fields"]))
        ], True
    problems = []
    expected = res.get("hash")
    if expected:
        algo, _, hexdigest = expected.partition(":")
        actual = hashlib.new(algo, raw).hexdigest()
        if actual != hexdigest:
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
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return problems + [Problem(shown, line, None, f"not UTF-8 text (byte {raw[exc.start]:#x}); save the file as UTF-8")], True
    found, broken = cells.check(shown, res["schema"], text)
    return problems + found, broken


def _frictionless_problems(data_dir: Path, desc: dict, skip: set[str]) -> list[Problem]:
    import frictionless as fl

    problems: list[Problem] = []
    # Frictionless validates the whole package at once so that foreign keys resolve across files.
    checked = {k: v for k, v in desc.items() if k != "resources"}
    kept = [r for r in desc["resources"] if _display(data_dir / r["path"]) not in skip]
    names = {r["name"] for r in kept}
    # foreign keys into a skipped table wait until that table is fixed (Frictionless would report the table missing)
    checked["resources"] = [
        {
            **{k: v for k, v in r.items() if k not in ("hash", "bytes", "schema")},
            "schema": {**r["schema"], "foreignKeys": [fk for fk in r["schema"].get("foreignKeys", []) if fk["reference"]["resource"] in names]},
        }
        for r in kept
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

        return str((path.parent.resolve() / path.name).relative_to(find_root(path.parent)))  # a link is named, not followed
    except (FileNotFoundError, ValueError):
        return str(path)


# Frictionless's default true and false values: every spelling validate accepts reads as that boolean, never as blank
_BOOLEANS = {"true": True, "True": True, "TRUE": True, "1": True, "false": False, "False": False, "FALSE": False, "0": False}
_PANDAS_TYPES = {"integer": "Int64", "number": "Float64", "boolean": "boolean", "string": "string", "date": "string"}


def _read_typed(path: Path, schema: dict, coerce: bool = False) -> pd.DataFrame:
    """Read one CSV with the schema's types. Blank cells are missing values (pd.NA), never empty strings.

    ``coerce=True`` (validation) reads a cell that does not parse as missing, so that the cross-field rules still
    check every other cell of the table; the cell checks have already reported it (``frame.attrs["coerced"]``)."""
    import pandas as pd

    names = [f["name"] for f in schema["fields"]]
    coerced: set[tuple[int, str]] = set()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    frame = frame.reindex(columns=names)
    for f in schema["fields"]:
        col = f["name"]
        kind = f.get("type", "string")
        if kind == "boolean":
            frame[col] = frame[col].map(_BOOLEANS).astype("boolean")
        elif kind in ("integer", "number"):
            if coerce:
                parsed = pd.to_numeric(frame[col], errors="coerce")
                if kind == "integer":
                    parsed = parsed.where(parsed.isna() | (parsed == parsed.round()))
                coerced |= {(int(i) + 2, col) for i in frame.index[parsed.isna() & frame[col].notna()]}
                frame[col] = parsed.astype(_PANDAS_TYPES[kind])
            else:
                frame[col] = pd.to_numeric(frame[col]).astype(_PANDAS_TYPES[kind])
        else:
            frame[col] = frame[col].astype("string")
    frame.attrs["source"] = _display(path)
    frame.attrs["coerced"] = coerced
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
    """Write each resource's current sha256 and size into datapackage.json; returns the resources that changed.

    It needs only the resources' names and files, so it works while other parts of the descriptor are still wrong
    (validate reports those); a resource whose path is unusable or whose file is missing is left as it is.
    """
    dp_path = data_dir / "datapackage.json"
    desc = _parse(_read_bytes(dp_path), _display(dp_path))
    changed = []
    for res in desc["resources"]:
        usable = isinstance(res, dict) and isinstance(res.get("path"), str) and re.fullmatch(descriptor.FILE_NAME, res["path"])
        if not usable or not_a_regular_file(data_dir / res["path"]) or not (data_dir / res["path"]).is_file():
            continue
        path = data_dir / res["path"]
        new_hash = "sha256:" + file_sha256(path)
        if res.get("hash") != new_hash:
            changed.append(str(res.get("name", res["path"])))
        res["hash"] = new_hash
        res["bytes"] = path.stat().st_size
    write_descriptor(dp_path, desc)
    return changed


def write_descriptor(path: Path, desc: dict) -> None:
    from alsmsc.files.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(desc, indent=2, ensure_ascii=False) + "\n")
