"""Contributor-facing files: workflows and issue forms parse and have what GitHub needs; the docs name real commands."""

from __future__ import annotations

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
