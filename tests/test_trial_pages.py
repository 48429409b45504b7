"""A page per trial, from the data; text from the data cannot become markup."""

from __future__ import annotations

import pandas as pd

from alsmsc.formats import escape
from alsmsc.publish import trial_pages

from .conftest import ROOT, copy_project


def test_markdown_escape_leaves_no_markup():
    hostile = "{cite:p}`X` <script>alert(1)</script> [link](http://x) # not a heading *bold*"
    import re

    out = escape.markdown(hostile)
    assert not re.search(r"(?<!\\)[{}`<>\[\]*#:]", out)  # every character that could start markup is escaped
    assert out.replace("\\", "") == hostile  # the reader still sees the same characters


def test_every_trial_gets_a_page_with_its_records_and_registry_links(tmp_path):
    from alsmsc.files.layout import Layout

    root = copy_project(tmp_path / "p")
    links = trial_pages.write(Layout(root))
    trials = pd.read_csv(root / "data" / "trials.csv", dtype=str)
    studies = pd.read_csv(root / "data" / "studies.csv", dtype=str)
    pages = root / "_build" / "generated" / "trials" / "pages"
    assert {p.stem for p in pages.glob("*.md")} == set(trials["trial_id"])
    summit = (pages / "alsummit.md").read_text(encoding="utf-8")
    assert '<a href="https://clinicaltrials.gov/study/NCT04745299">NCT04745299</a>' in summit
    for sid in studies[studies["trial_id"].fillna("").str.split(";").map(lambda xs: "alsummit" in xs)]["study_id"]:
        assert f'id="{sid}"' in summit and links[sid].startswith("_generated/trials/pages/alsummit.html")
    assert "randomized_controlled" not in summit and "randomized controlled" in summit  # codes in words
    index = (root / "_build" / "generated" / "trials" / "index.md").read_text(encoding="utf-8")
    assert index.count("<li>") == len(trials) and "pages digest" in index


def test_a_hostile_trial_name_is_text_on_its_page():
    row = pd.read_csv(ROOT / "data" / "trials.csv", dtype=str).iloc[0].copy()
    row["name"] = "Evil {cite:p}`Oh2018` <img src=x onerror=alert(1)>"
    text = trial_pages.page(
        row,
        pd.DataFrame(columns=["study_id", "year", "record_kind", "title", "journal", "verified_from", "source_url", "read_url"]),
        pd.DataFrame(),
        pd.DataFrame(),
        pd.DataFrame(),
    )
    title = next(line for line in text.splitlines() if line.startswith("# "))
    assert title == "# " + escape.markdown(row["name"])  # the heading is escaped Markdown
    body = text.split("```{raw} html", 1)[1]
    assert "<img" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body  # the HTML is escaped HTML


def test_every_animal_study_gets_a_page_with_its_experiments_and_paper_links(tmp_path):
    from alsmsc.files.layout import Layout

    root = copy_project(tmp_path / "p")
    links = trial_pages.write(Layout(root))
    pre = pd.read_csv(root / "data" / "preclinical_studies.csv", dtype=str)
    studies = pd.read_csv(root / "data" / "studies.csv", dtype=str).set_index("study_id")
    pages = root / "_build" / "generated" / "animal" / "pages"
    assert {p.stem for p in pages.glob("*.md")} == set(pre["study_id"])
    for sid, experiments in pre.groupby("study_id"):
        text = (pages / f"{sid}.md").read_text(encoding="utf-8")
        assert links[sid] == f"_generated/animal/pages/{sid}.html"
        for n in experiments["experiment"]:
            assert f'id="experiment-{n}"' in text and links[f"{sid}#{n}"].endswith(f"#experiment-{n}")
        record = studies.loc[sid]
        if isinstance(record["doi"], str):
            assert f'href="https://doi.org/{record["doi"]}"' in text
        if isinstance(record["pmid"], str):
            assert f'href="https://pubmed.ncbi.nlm.nih.gov/{record["pmid"]}/"' in text
        assert "favours_msc" not in text and "not_reported" not in text  # codes in words
    index = (root / "_build" / "generated" / "animal" / "index.md").read_text(encoding="utf-8")
    assert index.count("<li>") == pre["study_id"].nunique() and "pages digest" in index
    assert "\\(" not in index  # names in the index are HTML text, not Markdown-escaped
