"""ClinicalTrials.gov API v2 import, diff and fetch, on fixture files (tests/fixtures/ctgov, made-up values) and a
local HTTP server on 127.0.0.1 (no request leaves the machine)."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest

from alsmsc.registry import clinicaltrials_gov

from .conftest import ROOT, alsmsc

pytestmark = pytest.mark.fixture_data
FIX = Path(__file__).parent / "fixtures" / "ctgov"


def test_single_study_is_normalised():
    [r] = clinicaltrials_gov.load(FIX / "single_study.json")
    assert (r.nct_id, r.status, r.phases, r.enrollment, r.enrollment_type) == ("NCT04745299", "COMPLETED", ["PHASE3"], 120, "ACTUAL")
    assert r.start_date == "2021-03-23" and r.first_posted == "2021-02-09" and r.completion_date == "2026-05-03"
    assert r.countries == ["Korea, Republic of"] and r.interventions == ["Fixture MSC product"] and r.has_results is True


def test_search_page_and_partial_record():
    assert [r.nct_id for r in clinicaltrials_gov.load(FIX / "search_page_1.json")] == ["NCT04745299", "NCT09999991"]
    [partial] = clinicaltrials_gov.load(FIX / "partial_study.json")  # missing modules give missing fields, not a crash
    assert partial.status is None and partial.enrollment is None and partial.phases == [] and partial.title == "Only the identification module"


@pytest.mark.parametrize(
    "payload,message",
    [
        (
            {"studies": [{"protocolSection": {"identificationModule": {"nctId": "NCT123"}}}]},
            'studies[0]: not a ClinicalTrials.gov API v2 study as documented: protocolSection.identificationModule.nctId: "NCT123" does not '
            "have the expected form (NCT followed by 8 digits)",
        ),
        ({"studies": "nope"}, "'studies' must be a list"),
        ([1, 2], "a study must be a JSON object"),
        ({"nctId": "NCT00000001"}, "no 'protocolSection'"),
        (
            {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, "designModule": {"enrollmentInfo": {"count": "many"}}}},
            "bad.json (NCT00000001): not a ClinicalTrials.gov API v2 study as documented: "
            'protocolSection.designModule.enrollmentInfo.count: "many" is not an integer',
        ),
        # the registry-import cases of the integrity issue: shapes that used to be reinterpreted
        (
            {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, "designModule": {"phases": "PHASE3"}}},
            'protocolSection.designModule.phases: "PHASE3" is not an array',
        ),
        ({"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}, "hasResults": "false"}, 'hasResults: "false" is not a boolean'),
        (
            {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, "designModule": {"phases": ["PHASE 3"]}}},
            'protocolSection.designModule.phases[0]: "PHASE 3" is not one of NA, EARLY_PHASE1, PHASE1, PHASE2, PHASE3, PHASE4',
        ),
        (
            {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, "designModule": {"enrollmentInfo": {"count": True}}}},
            "enrollmentInfo.count: true is not an integer",
        ),
        (
            {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, "statusModule": {"startDateStruct": {"date": "soon"}}}},
            'startDateStruct.date: "soon" does not have the expected form (YYYY, YYYY-MM or YYYY-MM-DD)',
        ),
        (
            {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, "conditionsModule": {"conditions": "ALS"}}},
            'conditionsModule.conditions: "ALS" is not an array',
        ),
        (
            {"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}, "contactsLocationsModule": {"locations": [{"country": 7}]}}},
            "locations[0].country: 7 is not a string",
        ),
    ],
)
def test_malformed_records_get_clear_errors(tmp_path, payload, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload))
    with pytest.raises(
        clinicaltrials_gov.RegistryError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)")
    ):
        clinicaltrials_gov.load(path)


def test_invalid_json_names_the_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "studies": [\n')
    with pytest.raises(clinicaltrials_gov.RegistryError, match=r"bad.json:3: not valid JSON"):
        clinicaltrials_gov.load(path)


def test_diff_reports_new_trials_status_enrollment_and_results():
    trials = pd.DataFrame(
        {  # fixture trials, one per NCT id in the fixture pages (plus one that lists two ids)
            "trial_id": ["fixture-ph3", "fixture-ph2"],
            "registry_ids": ["NCT04745299;KCT0005954", "NCT03268603"],
            "status": ["ongoing", "ongoing"],
            "results": ["press_release_only", "none"],
            "n_enrolled": pd.array([115, 75], dtype="Int64"),
            "n_planned": pd.array([115, 75], dtype="Int64"),
        }
    )
    records = clinicaltrials_gov.load(FIX / "search_page_1.json") + clinicaltrials_gov.load(FIX / "search_page_2.json")
    changes = clinicaltrials_gov.diff(records, trials)
    assert [c["nct_id"] for c in changes["new"]] == ["NCT09999991"]
    assert {(c["trial_id"], c["registry"]) for c in changes["status_changed"]} == {("fixture-ph3", "COMPLETED")}
    assert [(c["dataset"], c["registry"]) for c in changes["enrollment_changed"]] == [(115, 120)]
    assert [c["nct_id"] for c in changes["results_posted"]] == ["NCT04745299"]
    # NCT03268603 matches its trial (active, not recruiting = ongoing; 75 enrolled): no change reported for it
    assert "NCT03268603" not in json.dumps(changes)


def test_cli_diff_exit_code_and_errors():
    proc = alsmsc(ROOT, "registry", "diff", str(FIX / "search_page_1.json"), "--json", "--exit-code")
    assert proc.returncode == 3 and json.loads(proc.stdout)["new"][0]["nct_id"] == "NCT09999991"
    bad = alsmsc(ROOT, "registry", "import", str(FIX / "malformed_page.json"))
    assert bad.returncode == 1 and "studies[1]" in bad.stderr


class FakeRegistry(http.server.BaseHTTPRequestHandler):
    """Serves the fixture pages like the v2 API: page 2 after page 1's token, one 503 first to exercise the retry."""

    calls: list[dict] = []
    fail_first = True

    def do_GET(self):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
        type(self).calls.append({"query": query, "agent": self.headers.get("User-Agent", "")})
        if type(self).fail_first:
            type(self).fail_first = False
            self.send_response(503)
            self.end_headers()
            return
        name = "search_page_2.json" if query.get("pageToken") == "FIXTURE-PAGE-2" else "search_page_1.json"
        body = (FIX / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_fetch_pages_retries_and_identifies_itself():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeRegistry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        records = clinicaltrials_gov.fetch(
            base_url=f"http://127.0.0.1:{server.server_address[1]}/api/v2/studies", timeout=5, retries=2, sleep=lambda s: None
        )
    finally:
        server.shutdown()
    assert [r.nct_id for r in records] == ["NCT04745299", "NCT09999991", "NCT03268603"]
    calls = FakeRegistry.calls
    assert len(calls) == 3  # one 503, then two pages
    assert calls[-1]["query"]["pageToken"] == "FIXTURE-PAGE-2"
    assert all(c["agent"].startswith("alsmsc-living-review/") for c in calls)
    assert calls[0]["query"]["query.cond"] == "amyotrophic lateral sclerosis"


def test_fetch_gives_up_with_a_clear_error():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeRegistry)
    port = server.server_address[1]
    server.server_close()  # nothing listens there any more
    with pytest.raises(clinicaltrials_gov.RegistryError, match=f"127.0.0.1:{port}"):
        clinicaltrials_gov.fetch(base_url=f"http://127.0.0.1:{port}/x", timeout=2, retries=1, sleep=lambda s: None)
