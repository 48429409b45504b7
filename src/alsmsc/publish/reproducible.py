"""Executed notebooks as reproducible files: the same inputs give the same bytes, wherever and whenever they ran.

The build publishes executed notebooks (``_build/generated/notebooks/``, the book's downloadable pages under
``_sources``, the sensitivity runs). As papermill and nbclient write them they carry what differs from run to run:
wall-clock times and durations of every cell and of the whole run, the absolute paths of the checkout, and random
cell ids (papermill's injected parameters cell; every cell of a notebook read from MyST Markdown). None of it says
anything about the results, and the dataset hash, the commit and the package versions already identify a build
(the Status page), so it is dropped here instead of being listed as an exception to byte-identical builds.
"""

from __future__ import annotations

from pathlib import Path

# papermill's per-cell and per-notebook clock readings; nbclient's per-cell ``execution`` timestamps (record_timing)
CELL_TIMING = ("start_time", "end_time", "duration")
RUN_TIMING = ("start_time", "end_time", "duration")
INJECTED_TAG = "injected-parameters"


def clean(nb: dict, root: Path, *, output_path: Path | None = None, renumber: bool = False) -> dict:
    """Drop run-to-run noise from an executed notebook (a dict or nbformat node, changed in place and returned).

    ``root``: the project root; papermill's ``input_path``/``output_path`` become relative to it (paths outside it, a
    user's own ``alsmsc run --out`` folder, stay as they are). ``output_path``: where the notebook ends up, when it was
    executed into a staging folder first. ``renumber``: give every cell an id from its position, for notebooks read
    from text, whose ids the reader made up at random; otherwise only papermill's injected cell gets a fixed id.
    """
    run = nb.get("metadata", {}).get("papermill")
    if isinstance(run, dict):
        for key in RUN_TIMING:
            run.pop(key, None)
        if output_path is not None:
            run["output_path"] = str(output_path)
        for key in ("input_path", "output_path"):
            if isinstance(run.get(key), str):
                run[key] = _relative(Path(run[key]), root)
    cells = nb.get("cells", [])
    taken = {c.get("id") for c in cells}
    for index, cell in enumerate(cells):
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        if isinstance(meta.get("papermill"), dict):
            for key in CELL_TIMING:
                meta["papermill"].pop(key, None)
        if renumber:
            cell["id"] = f"cell-{index}"
        elif INJECTED_TAG in meta.get("tags", []) and "id" in cell:
            taken.discard(cell["id"])
            cell["id"] = _unique(INJECTED_TAG, taken)
            taken.add(cell["id"])
    return nb


def clean_file(path: Path, root: Path, *, output_path: Path | None = None, renumber: bool = False) -> None:
    """:func:`clean` an executed notebook file in place (the caller moves it into place afterwards)."""
    import nbformat

    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    clean(nb, root, output_path=output_path, renumber=renumber)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def _relative(path: Path, root: Path) -> str:
    root = root.resolve()
    path = (path if path.is_absolute() else root / path).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _unique(base: str, taken: set) -> str:
    name, n = base, 1
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name
