"""`alsmsc release`: version bump, changelog from the real diff, drift flag, CITATION.cff — in a throwaway git repo.

The data edits are fixture changes in a copy; they are never published.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from alsmsc import dataset

from .conftest import alsmsc, copy_project

pytestmark = pytest.mark.fixture_data


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.org",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.org",
            "HOME": str(root),
            "PATH": "/usr/bin:/bin",
        },
    )


@pytest.fixture
def repo(tmp_path) -> Path:
    root = copy_project(tmp_path / "p")
    for extra in ("CITATION.cff",):
        (root / extra).write_text((Path(__file__).resolve().parents[1] / extra).read_text())
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "release 1.0.0")
    return root


def edit(path: Path, key_col: str, key: str, column: str, value: str) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    fields = list(rows[0])
    next(r for r in rows if r[key_col] == key)[column] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def bump(repo: Path, part: int) -> tuple[str, str]:
    """The current version and the next one (part 1 = minor, 2 = patch)."""
    current = dataset.version(repo / "data")["version"]
    nums = [int(x) for x in current.split(".")]
    nums[part] += 1
    nums[part + 1 :] = [0] * (2 - part)
    return current, ".".join(map(str, nums))


def test_release_writes_changelog_from_the_diff(repo):
    current, new = bump(repo, 2)
    edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "notes", "Fixture note changed by the release test.")
    proc = alsmsc(repo, "release", new, "--date", "2027-01-15")
    assert proc.returncode == 0, proc.stderr
    changelog = (repo / "data" / "CHANGELOG.md").read_text()
    assert changelog.index(f"## {new} — 2027-01-15") < changelog.index(f"## {current}")
    assert "| 2027-01-15 | Update | trials: 0 added, 0 removed, 1 changed |" in changelog
    assert "changed mayo\\-ph1 · notes:" in changelog and "Fixture note changed" in changelog
    assert dataset.version(repo / "data") == {"name": "als-msc-evidence", "version": new, "date": "2027-01-15"}
    assert dataset.validate(repo / "data") == []  # checksums were refreshed
    cff = yaml.safe_load((repo / "CITATION.cff").read_text())
    assert str(cff["version"]) == new and str(cff["date-released"]) == "2027-01-15"


def test_a_moved_pooled_estimate_is_a_material_update(repo):
    # Fixture change: many more deaths in one trial moves the pooled proportion of deaths.
    rows = list(csv.DictReader((repo / "data" / "clinical_outcomes.csv").open(encoding="utf-8")))
    target = next(
        r for r in rows if r["measure"] == "deaths" and r["subgroup"] == "all" and r["verified_from"] not in ("secondary_source", "press_release")
    )
    edit(repo / "data" / "clinical_outcomes.csv", "outcome_id", target["outcome_id"], "events", target["total"])
    proc = alsmsc(repo, "release", bump(repo, 1)[1], "--date", "2027-02-01")
    assert proc.returncode == 0, proc.stderr
    assert "MATERIAL UPDATE" in proc.stdout
    changelog = (repo / "data" / "CHANGELOG.md").read_text()
    assert "| Material update |" in changelog and "prop\\_deaths: estimate moved" in changelog


@pytest.mark.parametrize(
    "args,message",
    [
        (["1.0"], "is not X.Y.Z"),
        (["0.9.0"], "must be greater than the current"),
        (["9.0.0\n"], "is not X.Y.Z"),  # a trailing newline used to pass the pattern
        (["09.0.0"], "is not X.Y.Z"),
        (["9.0.0", "--date", "2026-13-45"], "is not a calendar date"),
        (["9.0.0", "--date", "2026-02-30"], "is not a calendar date"),
        (["9.0.0", "--date", "2026-1-5"], "must be written YYYY-MM-DD"),
        (["9.0.0", "--threshold", "-1"], "must be a fraction between 0 and 1"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_changes(repo, args, message):
    before = {p: p.read_bytes() for p in (repo / "data" / "datapackage.json", repo / "data" / "CHANGELOG.md", repo / "CITATION.cff")}
    proc = alsmsc(repo, "release", *args)
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_a_release_that_fails_midway_leaves_every_file_as_it_was(repo, monkeypatch):
    from alsmsc.dataset import release as release_module
    from alsmsc.files.layout import Layout

    _, new = bump(repo, 2)
    edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "dose", "fixture dose")  # checksums will change
    files = (repo / "data" / "datapackage.json", repo / "data" / "CHANGELOG.md", repo / "CITATION.cff")
    before = {p: p.read_bytes() for p in files}
    real = release_module.atomic_write_text

    def failing(path, text):
        if Path(path).name == "CHANGELOG.md":  # after the checksums and the version were written (in the copy)
            raise OSError("disk full (fixture)")
        real(path, text)

    monkeypatch.setattr(release_module, "atomic_write_text", failing)
    with pytest.raises(OSError, match="disk full"):
        release_module.release(Layout(repo), new, "2027-01-02")
    assert {p: p.read_bytes() for p in files} == before


def test_data_text_reaches_the_changelog_as_text_not_markup(repo):
    from markdown_it import MarkdownIt

    _, new = bump(repo, 2)
    hostile = "<img src=x onerror=alert(1)> [link](javascript:alert(2)) {raw}`html <b>x</b>` | `tick"
    edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "notes", hostile)
    proc = alsmsc(repo, "release", new, "--date", "2027-01-02")
    assert proc.returncode == 0, proc.stderr
    entry = (repo / "data" / "CHANGELOG.md").read_text().split("\n## ")[1]
    rendered = MarkdownIt("commonmark").enable("table").render("## " + entry)
    assert "<img" not in rendered and "<a " not in rendered and "<b>" not in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered  # shown, as text


def test_invalid_data_are_not_released(repo):
    current, new = bump(repo, 2)
    edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "cell_source", "spleen")
    descriptor = (repo / "data" / "datapackage.json").read_bytes()
    proc = alsmsc(repo, "release", new)
    assert (repo / "data" / "datapackage.json").read_bytes() == descriptor  # not even the checksums changed
    assert proc.returncode == 1 and "'spleen' is not allowed" in proc.stderr
    assert dataset.version(repo / "data")["version"] == current


def test_previous_release_can_be_named_and_must_carry_the_current_version(repo):
    current, new = bump(repo, 2)
    first = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "notes", "Fixture note changed after the release.")
    git(repo, "commit", "-qam", "post-release edit at the same version")
    edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "dose", "fixture dose")
    proc = alsmsc(repo, "release", new, "--date", "2027-03-01", "--previous", first)
    assert proc.returncode == 0, proc.stderr
    changelog = (repo / "data" / "CHANGELOG.md").read_text()
    assert "changed mayo\\-ph1 · notes:" in changelog and "changed mayo\\-ph1 · dose:" in changelog  # both, against the named commit
    git(repo, "commit", "-qam", "released")
    proc = alsmsc(repo, "release", bump(repo, 2)[1], "--previous", first)
    assert proc.returncode == 1 and f"has data version '{current}', not the current {new}" in proc.stderr


def test_a_release_refused_by_the_git_check_leaves_the_descriptor_untouched(repo):
    current, new = bump(repo, 2)
    edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "dose", "fixture dose")  # valid edit: checksums would change
    descriptor = (repo / "data" / "datapackage.json").read_bytes()
    proc = alsmsc(repo, "release", new, "--previous", "0" * 40)  # no such commit: refused after the data were validated
    assert proc.returncode == 1 and "failed" in proc.stderr
    assert (repo / "data" / "datapackage.json").read_bytes() == descriptor
    assert dataset.version(repo / "data")["version"] == current


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT])
def test_killing_a_release_at_any_point_leaves_data_as_it_was_or_released(repo, signum):
    """data/ is swapped in one step: after a kill it is byte-identical to before, or the complete release."""
    _, new = bump(repo, 2)
    edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "dose", "fixture dose")
    before = snapshot(repo / "data")
    outcomes = set()
    for delay in (0.3, 0.8, 1.5, 2.5, 4.0, 6.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "alsmsc", "release", new, "--date", "2027-01-02"],
            cwd=repo,
            env={**os.environ, "ALSMSC_ROOT": str(repo)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        proc.send_signal(signum)
        err = proc.communicate(timeout=120)[1]
        assert "Traceback" not in err
        after = snapshot(repo / "data")
        if after == before:
            outcomes.add("untouched")
            continue
        assert dataset.version(repo / "data")["version"] == new and dataset.validate(repo / "data") == [], f"a mix after {delay} s"
        outcomes.add("released")
        git(repo, "checkout", "-q", "--", "data", "CITATION.cff")  # back to the state before, for the next delay
        edit(repo / "data" / "trials.csv", "trial_id", "mayo-ph1", "dose", "fixture dose")
        assert snapshot(repo / "data") == before
    assert "untouched" in outcomes  # the kills reached the command before it finished
    assert not (repo / ".data.staging").exists() or signum == signal.SIGKILL  # a clean stop removes its copy


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


NEW_BACKGROUND = ["new-study", "Fixture2026", "--type", "background", "--author", "F", "--year", "2026", "--title", "t"]
NEW_BACKGROUND += ["--url", "https://doi.org/10.1/x", "--verified-from", "abstract"]


@pytest.mark.parametrize(
    "command,broken,message",
    [
        (["release", "9.0.0"], "version", "data/datapackage.json::version: 'abc' is not allowed"),
        (NEW_BACKGROUND, "version", "data/datapackage.json::version: 'abc' is not allowed"),
        (["rehash"], "json", "data/datapackage.json:1: not valid JSON"),  # rehash works around other descriptor problems
    ],
)
def test_a_descriptor_no_command_can_read_gets_its_problems_not_a_traceback(repo, command, broken, message):
    path = repo / "data" / "datapackage.json"
    if broken == "version":
        path.write_text(path.read_text().replace(f'"version": "{dataset.version(repo / "data")["version"]}"', '"version": "abc"'))
    else:
        path.write_text("{not json")
    before = path.read_bytes()
    proc = alsmsc(repo, *command)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert message in proc.stderr, proc.stderr
    assert path.read_bytes() == before
