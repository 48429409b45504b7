"""ClinicalTrials.gov (API v2) records: import, compare with the dataset, and fetch.

A study is the v2 JSON object with ``protocolSection`` (identification, status, design, conditions, interventions,
locations modules) and ``hasResults``; a search page is ``{"studies": [...], "nextPageToken": ...}``.
Missing modules give missing fields, never a crash; a record that is not a study gives a RegistryError that says
which record and what is wrong.
"""

from __future__ import annotations

import functools
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

API = "https://clinicaltrials.gov/api/v2/studies"
USER_AGENT = "alsmsc-living-review/0.1 (registry watch for a living systematic review; contact via the project repository)"
DEFAULT_QUERY = {"query.cond": "amyotrophic lateral sclerosis", "query.intr": "mesenchymal"}
# Registry status -> the dataset's status vocabulary (for the diff).
STATUS_MAP = {
    "RECRUITING": "ongoing",
    "NOT_YET_RECRUITING": "ongoing",
    "ACTIVE_NOT_RECRUITING": "ongoing",
    "ENROLLING_BY_INVITATION": "ongoing",
    "SUSPENDED": "suspended",
    "COMPLETED": "completed",
    "TERMINATED": "terminated",
    "WITHDRAWN": "withdrawn",
    "UNKNOWN": "unknown",
}


class RegistryError(ValueError):
    """A registry file or response that cannot be read; the message names the file and record."""


@dataclass
class TrialRecord:
    nct_id: str
    title: str | None = None
    status: str | None = None
    phases: list[str] = field(default_factory=list)
    enrollment: int | None = None
    enrollment_type: str | None = None
    start_date: str | None = None
    completion_date: str | None = None
    first_posted: str | None = None
    conditions: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    has_results: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _get(obj, *path, default=None):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return obj


_TEXT = {"type": "string"}
_DATE = {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"}
_TEXTS = {"type": "array", "items": _TEXT}
# The parts of an API v2 study this module reads, with the types the API documents
# (https://clinicaltrials.gov/data-api/about-api/study-data-structure). Anything else in a study is ignored; a part
# that is present with another shape (a phase given as "PHASE3" instead of ["PHASE3"], hasResults as "false") is an
# error, never reinterpreted.
STUDY_SCHEMA = {
    "type": "object",
    "required": ["protocolSection"],
    "properties": {
        "hasResults": {"type": "boolean"},
        "protocolSection": {
            "type": "object",
            "required": ["identificationModule"],
            "properties": {
                "identificationModule": {
                    "type": "object",
                    "required": ["nctId"],
                    "properties": {"nctId": {"type": "string", "pattern": r"^NCT\d{8}$"}, "officialTitle": _TEXT, "briefTitle": _TEXT},
                },
                "statusModule": {
                    "type": "object",
                    "properties": {
                        "overallStatus": _TEXT,
                        "startDateStruct": {"type": "object", "properties": {"date": _DATE}},
                        "completionDateStruct": {"type": "object", "properties": {"date": _DATE}},
                        "studyFirstPostDateStruct": {"type": "object", "properties": {"date": _DATE}},
                    },
                },
                "designModule": {
                    "type": "object",
                    "properties": {
                        "phases": {"type": "array", "items": {"enum": ["NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4"]}},
                        "enrollmentInfo": {
                            "type": "object",
                            "properties": {"count": {"type": "integer", "minimum": 0}, "type": {"enum": ["ACTUAL", "ESTIMATED", "ANTICIPATED"]}},
                        },
                    },
                },
                "conditionsModule": {"type": "object", "properties": {"conditions": _TEXTS}},
                "armsInterventionsModule": {
                    "type": "object",
                    "properties": {"interventions": {"type": "array", "items": {"type": "object", "properties": {"name": _TEXT}}}},
                },
                "contactsLocationsModule": {
                    "type": "object",
                    "properties": {"locations": {"type": "array", "items": {"type": "object", "properties": {"country": _TEXT}}}},
                },
            },
        },
    },
}


@functools.cache
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(STUDY_SCHEMA)


def _shape_errors(study) -> list[str]:
    """Every place where a study differs from STUDY_SCHEMA, as ``path: what is wrong``, in document order."""
    errors = sorted(_validator().iter_errors(study), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errors:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path).lstrip(".") or "(the study)"
        out.append(f"{path}: {_describe(e)}")
    return out


def _describe(e) -> str:
    shown = json.dumps(e.instance, ensure_ascii=False)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    if e.validator == "type":
        return f"{shown} is not {'an' if e.validator_value in ('array', 'object', 'integer') else 'a'} {e.validator_value}"
    if e.validator == "enum":
        return f"{shown} is not one of {', '.join(map(str, e.validator_value))}"
    if e.validator == "pattern":
        form = "NCT followed by 8 digits" if "NCT" in e.validator_value else "YYYY, YYYY-MM or YYYY-MM-DD"
        return f"{shown} does not have the expected form ({form})"
    if e.validator == "required":
        return e.message
    if e.validator == "minimum":
        return f"{shown} is below {e.validator_value}"
    return e.message


def normalise(study, where: str = "record") -> TrialRecord:
    if not isinstance(study, dict):
        raise RegistryError(f"{where}: a study must be a JSON object, got {type(study).__name__}")
    if not isinstance(study.get("protocolSection"), dict):
        raise RegistryError(f"{where}: no 'protocolSection'; this is not a ClinicalTrials.gov API v2 study")
    problems = _shape_errors(study)
    if problems:
        nct = _get(study, "protocolSection", "identificationModule", "nctId")
        label = f"{where} ({nct})" if isinstance(nct, str) and re.fullmatch(r"NCT\d{8}", nct) else where
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise RegistryError(f"{label}: not a ClinicalTrials.gov API v2 study as documented: " + "; ".join(problems[:5]) + more)
    protocol = study["protocolSection"]
    nct = protocol["identificationModule"]["nctId"]
    count = _get(protocol, "designModule", "enrollmentInfo", "count")
    locations = _get(protocol, "contactsLocationsModule", "locations", default=[])
    return TrialRecord(
        nct_id=nct,
        title=_get(protocol, "identificationModule", "officialTitle") or _get(protocol, "identificationModule", "briefTitle"),
        status=_get(protocol, "statusModule", "overallStatus"),
        phases=list(_get(protocol, "designModule", "phases", default=[])),
        enrollment=count,
        enrollment_type=_get(protocol, "designModule", "enrollmentInfo", "type"),
        start_date=_get(protocol, "statusModule", "startDateStruct", "date"),
        completion_date=_get(protocol, "statusModule", "completionDateStruct", "date"),
        first_posted=_get(protocol, "statusModule", "studyFirstPostDateStruct", "date"),
        conditions=list(_get(protocol, "conditionsModule", "conditions", default=[])),
        interventions=[i.get("name", "") for i in _get(protocol, "armsInterventionsModule", "interventions", default=[])],
        countries=sorted({loc["country"] for loc in locations if loc.get("country")}),
        has_results=study.get("hasResults", False),
    )


def parse(payload, source: str) -> list[TrialRecord]:
    """A single study or a search page."""
    if isinstance(payload, dict) and "studies" in payload:
        if not isinstance(payload["studies"], list):
            raise RegistryError(f"{source}: 'studies' must be a list")
        return [normalise(s, f"{source}: studies[{i}]") for i, s in enumerate(payload["studies"])]
    return [normalise(payload, source)]


def load(path: Path | str) -> list[TrialRecord]:
    path = Path(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    return parse(payload, str(path))


def fetch(
    query: dict | None = None,
    base_url: str = API,
    page_size: int = 100,
    max_pages: int = 20,
    timeout: float = 30,
    retries: int = 3,
    backoff: float = 2.0,
    sleep=time.sleep,
) -> list[TrialRecord]:
    """Every page of a v2 search, politely: a descriptive user agent, a timeout, retries with backoff on 429/5xx."""
    params = {**(query or DEFAULT_QUERY), "pageSize": str(page_size), "format": "json"}
    records, token = [], None
    for page in range(max_pages):
        if token:
            params["pageToken"] = token
        url = f"{base_url}?{urllib.parse.urlencode(params)}"
        payload = _get_json(url, timeout, retries, backoff, sleep)
        records += parse(payload, f"page {page + 1}")
        token = payload.get("nextPageToken") if isinstance(payload, dict) else None
        if not token:
            return records
    raise RegistryError(f"more than {max_pages} pages; narrow the query or raise max_pages")


def _get_json(url: str, timeout: float, retries: int, backoff: float, sleep):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    for attempt in range(retries + 1):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 500, 502, 503, 504) or attempt == retries:
                raise RegistryError(f"{url}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError) as exc:
            if attempt == retries:
                raise RegistryError(f"{url}: {getattr(exc, 'reason', exc)}") from None
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{url}: the response is not JSON ({exc.msg})") from None
        sleep(backoff * (2**attempt))
    raise AssertionError("unreachable")


def diff(records: list[TrialRecord], trials: pd.DataFrame) -> dict[str, list[dict]]:
    """What the registry says that the dataset's trials do not: new trials, status and enrollment changes, new results.

    Each trial is compared once, through every NCT id it lists; an anticipated enrollment is compared with the trial's
    planned size and an actual one with its enrolled size."""
    known: dict[str, pd.Series] = {}
    for _, row in trials.iterrows():
        for nct in str(row["registry_ids"] if pd.notna(row["registry_ids"]) else "").split(";"):
            if nct.startswith("NCT"):
                known.setdefault(nct, row)
    out = {"new": [], "status_changed": [], "enrollment_changed": [], "results_posted": []}
    for r in sorted(records, key=lambda r: r.nct_id):
        row = known.get(r.nct_id)
        if row is None:
            out["new"].append({"nct_id": r.nct_id, "title": r.title, "status": r.status, "enrollment": r.enrollment})
            continue
        registry_status = STATUS_MAP.get(r.status or "", "unknown")
        if r.status and registry_status != row["status"]:
            out["status_changed"].append({"nct_id": r.nct_id, "trial_id": row["trial_id"], "dataset": row["status"], "registry": r.status})
        size = row["n_planned"] if r.enrollment_type in ("ESTIMATED", "ANTICIPATED") else row["n_enrolled"]
        if r.enrollment is not None and pd.notna(size) and int(size) != r.enrollment:
            out["enrollment_changed"].append(
                {"nct_id": r.nct_id, "trial_id": row["trial_id"], "dataset": int(size), "registry": r.enrollment, "type": r.enrollment_type}
            )
        if r.has_results and row["results"] not in ("peer_reviewed", "registry_only"):
            out["results_posted"].append({"nct_id": r.nct_id, "trial_id": row["trial_id"], "dataset_results": row["results"]})
    return out
