"""PRISMA 2020 flow counts from the screening log, and the flow diagram as SVG.

The diagram is drawn here as plain SVG: there is no maintained Python package for PRISMA 2020 diagrams (the reference
implementation is an R/Shiny app), and a fixed layout with counts filled in is simple and deterministic.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from alsmsc.formats import escape
from alsmsc.formats.labels import REASON_LABELS


@dataclass
class Flow:
    version: str
    databases: int
    registers: int
    other_methods: int
    duplicates: int
    screened: int
    excluded_screening: int
    sought: int
    not_retrieved: int
    assessed: int
    excluded_full_text: dict[str, int] = field(default_factory=dict)
    new_reports: int = 0
    new_studies: int = 0
    previous_studies: int = 0

    @property
    def total_studies(self) -> int:
        return self.new_studies + self.previous_studies

    def as_dict(self) -> dict:
        return {**asdict(self), "total_studies": self.total_studies}


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def _studies(study_ids: list[str], studies: pd.DataFrame) -> int:
    """Included reports counted as studies: every clinical record of one trial is one study (PRISMA 2020 counts
    studies and reports apart); an animal study is its own unit."""
    trial = dict(zip(studies["study_id"], studies["trial_id"]))
    units = set()
    for s in study_ids:
        linked = trial.get(s)
        units.update(str(linked).split(";") if isinstance(linked, str) else [s])  # a paper on two trials adds both
    return len(units)


def flow(log: pd.DataFrame, studies: pd.DataFrame, version: str) -> Flow:
    """Counts for ``version``: records first screened in it are 'new'; earlier versions' inclusions are 'previous'."""
    current = log[log["review_version"] == version]
    earlier = log[[_version_key(v) < _version_key(version) for v in log["review_version"]]]
    dup = current["duplicate_of"].notna()
    screened = current[~dup]
    sought = screened[screened["title_abstract_decision"] == "include"]
    assessed = sought[sought["full_text_decision"].isin(["include", "exclude"])]
    excluded = assessed[assessed["full_text_decision"] == "exclude"]
    included = assessed[assessed["full_text_decision"] == "include"]
    prev_included = earlier[earlier["full_text_decision"] == "include"]
    return Flow(
        version=version,
        databases=int((current["source"] == "databases").sum()),
        registers=int((current["source"] == "registers").sum()),
        other_methods=int((current["source"] == "other_methods").sum()),
        duplicates=int(dup.sum()),
        screened=len(screened),
        excluded_screening=int((screened["title_abstract_decision"] == "exclude").sum()),
        sought=len(sought),
        not_retrieved=int((sought["full_text_decision"] == "not_retrieved").sum()),
        assessed=len(assessed),
        excluded_full_text={REASON_LABELS.get(k, k): int(v) for k, v in sorted(excluded["exclusion_reason"].value_counts().items())},
        new_reports=len(included),
        new_studies=_studies(included["study_id"].tolist(), studies),
        previous_studies=_studies(prev_included["study_id"].tolist(), studies),
    )


def _box(x, y, w, h, lines, fill="#ffffff") -> str:
    out = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="{fill}" stroke="#333" stroke-width="1"/>']
    for i, line in enumerate(lines):
        weight = ' font-weight="bold"' if i == 0 else ""
        out.append(f'<text x="{x + 8}" y="{y + 18 + 16 * i}" font-size="12"{weight}>{escape.html(line)}</text>')
    return "\n".join(out)


def _arrow(x1, y1, x2, y2) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" stroke-width="1.2" marker-end="url(#arrow)"/>'


def svg(f: Flow) -> str:
    """PRISMA 2020 flow diagram for updated reviews (previous studies + new records), as a standalone SVG."""
    reasons = [f"  {k}: {v}" for k, v in f.excluded_full_text.items()] or ["  none"]
    W, L, R, BW, RW = 760, 20, 420, 360, 320
    parts = [
        # No fixed width: the viewBox lets the diagram shrink to the page column (and scale up in the SVG file).
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} 600" style="width:100%;max-width:{W}px;height:auto" '
        'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" role="img">',
        f"<title>PRISMA 2020 flow diagram, dataset version {escape.html(f.version)}</title>",
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="3" orient="auto">'
        '<path d="M0,0 L7,3 L0,6 Z" fill="#333"/></marker></defs>',
        _box(L, 10, W - 40, 30, [f"Studies included in the previous version: {f.previous_studies}"], "#eef3f8"),
        _box(
            L,
            60,
            BW,
            70,
            ["Records identified", f"databases and journal pages: {f.databases}", f"registers: {f.registers}; other methods: {f.other_methods}"],
        ),
        _box(R, 60, RW, 50, ["Removed before screening", f"duplicates: {f.duplicates}"]),
        _arrow(L + BW, 85, R, 85),
        _box(L, 160, BW, 40, ["Records screened", f"n = {f.screened}"]),
        _arrow(L + BW / 2, 130, L + BW / 2, 160),
        _box(R, 160, RW, 40, ["Records excluded", f"n = {f.excluded_screening}"]),
        _arrow(L + BW, 180, R, 180),
        _box(L, 230, BW, 40, ["Reports sought for retrieval", f"n = {f.sought}"]),
        _arrow(L + BW / 2, 200, L + BW / 2, 230),
        _box(R, 230, RW, 55, ["Not retrieved or awaiting classification", f"n = {f.not_retrieved} (identity or details", "could not be verified)"]),
        _arrow(L + BW, 250, R, 250),
        _box(L, 310, BW, 40, ["Reports assessed for eligibility", f"n = {f.assessed}"]),
        _arrow(L + BW / 2, 270, L + BW / 2, 310),
        _box(R, 310, RW, 22 + 16 * (len(reasons) + 1), ["Reports excluded, with reasons", *reasons]),
        _arrow(L + BW, 330, R, 330),
        _box(L, 420, BW, 55, ["New studies included", f"studies: {f.new_studies}", f"reports of new studies: {f.new_reports}"]),
        _arrow(L + BW / 2, 350, L + BW / 2, 420),
        _box(L, 510, BW, 40, ["Total studies included in this version", f"n = {f.total_studies}"], "#eef3f8"),
        _arrow(L + BW / 2, 475, L + BW / 2, 510),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
