"""PRISMA 2020 counts from a screening log (fixture rows, never published) and the diagram that shows them."""

from __future__ import annotations

import pandas as pd
import pytest

from alsmsc.analyses import prisma

pytestmark = pytest.mark.fixture_data

COLS = ["record_id", "source", "duplicate_of", "title_abstract_decision", "full_text_decision", "exclusion_reason", "study_id", "review_version"]


def log(rows):
    return pd.DataFrame(rows, columns=COLS).astype(object).where(lambda f: f.notna(), None)


LOG = log(
    [
        ["PMID:1", "databases", None, "include", "include", None, "A2019", "1.0.0"],
        ["PMID:2", "databases", None, "include", "include", None, "A2020", "1.0.0"],  # a second report of trial a
        ["NCT00000001", "registers", None, "include", "include", None, "NCT00000001", "1.0.0"],
        ["NCT00000001@2", "registers", "NCT00000001", "not_screened", None, None, None, "1.0.0"],
        ["PMID:3", "databases", None, "exclude", None, "not_als", None, "1.0.0"],
        ["PMID:4", "databases", None, "include", "exclude", "not_msc", None, "1.0.0"],
        ["URL:x", "other_methods", None, "include", "not_retrieved", "unverifiable_identity", None, "1.0.0"],
        ["PMID:9", "databases", None, "include", "include", None, "Old2015", "0.9.0"],  # included in the previous version
    ]
)
# Records and the trials they report on: A2019 and A2020 report trial a; the registration is trial b; Old2015 (previous
# version) reports trials c and d, as one paper can.
CLINICAL = pd.DataFrame({"study_id": ["A2019", "A2020", "NCT00000001", "Old2015"], "trial_id": ["a", "a", "b", "c;d"]})


def test_flow_counts_add_up():
    f = prisma.flow(LOG, CLINICAL, "1.0.0")
    assert (f.databases, f.registers, f.other_methods, f.duplicates) == (4, 2, 1, 1)
    assert f.screened == 6 and f.excluded_screening == 1 and f.sought == 5 and f.not_retrieved == 1
    assert f.assessed == 4 and f.excluded_full_text == {"not MSCs": 1}
    assert f.new_reports == 3 and f.new_studies == 2  # A2019 and A2020 report one trial: one study
    assert f.previous_studies == 2 and f.total_studies == 4  # one paper, two trials


def test_svg_shows_every_count_and_escapes_text():
    f = prisma.flow(LOG, CLINICAL, "1.0.0")
    svg = prisma.svg(f)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for text in (
        "registers: 2",
        "duplicates: 1",
        "n = 6",
        "Records excluded",
        "not MSCs: 1",
        "studies: 2",
        "reports of new studies: 3",
        "Studies included in the previous version: 2",
        "n = 4",
    ):
        assert text in svg, text
    f.excluded_full_text = {"<script>": 1}
    assert "<script>" not in prisma.svg(f) and "&lt;script&gt;" in prisma.svg(f)
