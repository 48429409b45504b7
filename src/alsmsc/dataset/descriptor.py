"""The shape ``datapackage.json`` must have before anything uses it.

Two checks, both before a file is opened: a JSON Schema (checked with ``jsonschema``) that holds the descriptor to
the subset of the Frictionless spec this project reads (one local UTF-8 CSV per resource, an inline Table Schema,
a sha256 or md5 hash, a MAJOR.MINOR.PATCH version), and the contract with the code: the tables, columns, types
and keys that the rules, analyses and book read. Frictionless's own descriptor profile is looser than the code
(it allows a path list, a remote schema or another encoding), so it cannot be the gate.
"""

from __future__ import annotations

import functools

from alsmsc.dataset import limits
from alsmsc.dataset.problems import Problem

NAME = r"^[a-z][a-z0-9_]*$"
SEMVER = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
WEB_URL = r"^https?://[^\s/?#]+\S*$"
FILE_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.csv"  # one CSV file beside datapackage.json: no folder, no '..', no URL
TYPES = ("string", "integer", "number", "boolean", "date")


# printable text, as in the tables (alsmsc.dataset.cells): no control characters but tab and line breaks, no bidi overrides
PRINTABLE = "^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"


def _text(max_length: int = limits.MAX_DESCRIPTOR_TEXT) -> dict:
    return {"type": "string", "maxLength": max_length, "pattern": PRINTABLE}


_FIELD = {
    "type": "object",
    "required": ["name", "type"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": NAME, "maxLength": 64},
        "type": {"enum": list(TYPES)},
        "format": {"const": "default"},
        "title": _text(),
        "description": _text(),
        "example": _text(),
        "x-list-of": {"type": "array", "items": {"type": "string", "pattern": NAME}},
        "constraints": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "required": {"type": "boolean"},
                "unique": {"type": "boolean"},
                "enum": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string", "maxLength": 200}},
                "pattern": {"type": "string", "format": "regex", "maxLength": 2000},
                "minimum": {"type": "number"},
                "maximum": {"type": "number"},
                "minLength": {"type": "integer", "minimum": 0},
                "maxLength": {"type": "integer", "minimum": 0},
            },
        },
    },
}
_KEY_LIST = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": NAME}}
_RESOURCE = {
    "type": "object",
    "required": ["name", "path", "schema"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": NAME, "maxLength": 64},
        "path": {"type": "string", "pattern": f"^{FILE_NAME}$", "maxLength": 128},
        "title": _text(),
        "description": _text(),
        "profile": {"const": "tabular-data-resource"},
        "format": {"const": "csv"},
        "mediatype": {"const": "text/csv"},
        "encoding": {"enum": ["utf-8", "UTF-8"]},
        "hash": {"type": "string", "pattern": r"^(sha256:[0-9a-f]{64}|md5:[0-9a-f]{32})$"},
        "bytes": {"type": "integer", "minimum": 0},
        "schema": {
            "type": "object",
            "required": ["fields"],
            "additionalProperties": False,
            "properties": {
                "fields": {"type": "array", "minItems": 1, "maxItems": limits.MAX_FIELDS, "items": _FIELD},
                "primaryKey": _KEY_LIST,
                "foreignKeys": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["fields", "reference"],
                        "additionalProperties": False,
                        "properties": {
                            "fields": _KEY_LIST,
                            "reference": {
                                "type": "object",
                                "required": ["resource", "fields"],
                                "additionalProperties": False,
                                "properties": {"resource": {"type": "string", "pattern": NAME}, "fields": _KEY_LIST},
                            },
                        },
                    },
                },
            },
        },
    },
}
_LINK = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"name": _text(200), "title": _text(), "path": {"type": "string", "pattern": WEB_URL, "maxLength": 2000}},
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name", "version", "resources"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]*$", "maxLength": 100},
        "title": _text(),
        "description": _text(),
        "version": {"type": "string", "pattern": SEMVER},
        "created": {
            "type": "string",
            "pattern": r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$",
        },
        "homepage": {"type": "string", "pattern": WEB_URL, "maxLength": 2000},
        "keywords": {"type": "array", "items": _text(100)},
        "licenses": {"type": "array", "items": _LINK},
        "sources": {"type": "array", "items": _LINK},
        "resources": {"type": "array", "minItems": 1, "maxItems": limits.MAX_RESOURCES, "items": _RESOURCE},
    },
}

# What the code reads: every table, its columns (name, or name:type when not a string) and its keys. A schema may add
# tables, columns and constraints; it may not drop or retype these, or the build would fail on data that validated.
EXPECTED_FIELDS = {
    "source_hosts": "host category kind notes",
    "trials": "trial_id name sponsor country product product_class phase design randomized:boolean blinding control_type route cell_source "
    "cell_origin status results registry_ids n_enrolled:integer n_planned:integer n_msc:integer n_control:integer n_external_control:integer "
    "n_overlapping:integer dose n_administrations:integer follow_up_months:number primary_endpoint primary_endpoint_met safety_summary "
    "efficacy_summary overlaps_with overlap_note not_reported source_url read_url verified_from notes",
    "studies": "study_id record_type trial_id record_kind first_author year:integer title journal volume issue pages doi pmid pmcid registry_ids "
    "publication_type source_url read_url verified_from notes",
    "clinical_arms": "trial_id arm role description n_randomized:integer n_treated:integer n_analysed:integer study_id source_url read_url "
    "verified_from notes",
    "clinical_outcomes": "outcome_id trial_id arm subgroup measure definition detail timepoint_months:number n:integer mean:number "
    "dispersion:number dispersion_type events:integer total:integer unit location study_id source_url read_url verified_from notes",
    "preclinical_studies": "study_id experiment:integer species model model_class sex msc_source donor_species product modification route dose "
    "schedule immunosuppression timing age_at_treatment_days:number n_msc:integer n_control:integer control onset_direction survival_direction "
    "motor_direction mn_count_direction onset_effect survival_msc_days:number survival_control_days:number survival_statistic "
    "survival_dispersion_msc:number survival_dispersion_control:number survival_dispersion_type survival_n_msc:integer "
    "survival_n_control:integer survival_change_percent:number motor_effect other_effects location not_reported source_url read_url "
    "verified_from notes",
    "background_facts": "fact_id topic quantity value value_low:number value_high:number interval_type unit population period study_id "
    "source_url read_url verified_from notes",
    "search_log": "search_id review_version date:date source interface searcher query purpose hits:integer records_identified:integer notes",
    "screening_log": "record_id source search_id search_date:date duplicate_of title_abstract_decision full_text_decision exclusion_reason "
    "record_type study_id review_version notes",
    "risk_of_bias": "assessed tool domain judgement support assessor report notes",
    "grade": "outcome_id outcome comparison_key effect_measure units direction starting_level risk_of_bias:integer inconsistency:integer "
    "indirectness:integer imprecision:integer publication_bias:integer upgrade:integer certainty reasons plain_language",
}
EXPECTED_KEYS = {
    "source_hosts": ("host",),
    "trials": ("trial_id",),
    "studies": ("study_id",),
    "clinical_arms": ("trial_id", "arm"),
    "clinical_outcomes": ("outcome_id",),
    "preclinical_studies": ("study_id", "experiment"),
    "background_facts": ("fact_id",),
    "search_log": ("search_id",),
    "screening_log": ("record_id",),
    "risk_of_bias": ("assessed", "tool", "domain"),
    "grade": ("outcome_id",),
}
EXPECTED_FOREIGN_KEYS = {
    "clinical_arms": [(("trial_id",), "trials", ("trial_id",)), (("study_id",), "studies", ("study_id",))],
    "clinical_outcomes": [(("trial_id", "arm"), "clinical_arms", ("trial_id", "arm")), (("study_id",), "studies", ("study_id",))],
    "preclinical_studies": [(("study_id",), "studies", ("study_id",))],
    "background_facts": [(("study_id",), "studies", ("study_id",))],
    "screening_log": [(("study_id",), "studies", ("study_id",)), (("search_id",), "search_log", ("search_id",))],
}


@functools.cache
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def problems(desc, shown: str) -> list[Problem]:
    """Every way ``desc`` differs from the shape the code reads; empty when it can be used."""
    found = [Problem(shown, None, _where(err.absolute_path), _message(err)) for err in _validator().iter_errors(desc)]
    if found:
        return found
    return _contract(desc, shown)


def _where(path) -> str | None:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def _message(err) -> str:
    """jsonschema's message, shortened (it quotes the whole offending value) and followed by what is allowed."""
    value = repr(err.instance)
    value = value if len(value) <= 60 else value[:57] + "..."
    kind, expected = err.validator, err.validator_value
    if kind == "required":
        missing = [k for k in expected if k not in err.instance]
        return f"{', '.join(map(repr, missing))} is missing; required: {', '.join(expected)}"
    if kind == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed))
        return f"unknown key(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}"
    if kind == "type":
        return f"{value} must be of JSON type {expected}"
    if kind == "pattern" and expected == PRINTABLE:
        return "contains a control character; only printable text, tabs and line breaks are allowed"
    if kind == "pattern":
        return f"{value} is not allowed; it must match {expected}"
    if kind in ("enum", "const"):
        allowed = expected if kind == "enum" else [expected]
        return f"{value} is not allowed; allowed: {', '.join(map(str, allowed))}"
    if kind in ("maxLength", "maxItems"):
        return f"is too long ({len(err.instance)}); at most {expected} {'characters' if kind == 'maxLength' else 'items'}"
    if kind == "minItems":
        return f"needs at least {expected} item(s)"
    if kind == "format":
        return f"{value} is not a valid regular expression"
    return f"{value}: {err.message[-200:]}"


def _contract(desc: dict, shown: str) -> list[Problem]:
    found = []
    by_name: dict[str, dict] = {}
    paths: dict[str, str] = {}
    for i, res in enumerate(desc["resources"]):
        where = f"resources[{i}]"
        if res["name"] in by_name:
            found.append(Problem(shown, None, f"{where}.name", f"{res['name']!r} names two resources; resource names are unique"))
        if res["path"].lower() in paths:
            found.append(Problem(shown, None, f"{where}.path", f"{res['path']!r} is also the file of resource {paths[res['path'].lower()]!r}"))
        by_name.setdefault(res["name"], res)
        paths.setdefault(res["path"].lower(), res["name"])
        names = [f["name"] for f in res["schema"]["fields"]]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            found.append(Problem(shown, None, f"{where}.schema.fields", f"field {dup!r} is declared twice"))
        for key in res["schema"].get("primaryKey", []):
            if key not in names:
                found.append(Problem(shown, None, f"{where}.schema.primaryKey", f"{key!r} is not a field of {res['name']}"))
    for name, spec in EXPECTED_FIELDS.items():
        res = by_name.get(name)
        if res is None:
            found.append(Problem(shown, None, "resources", f"resource {name!r} is missing; the analyses read: {', '.join(EXPECTED_FIELDS)}"))
            continue
        where = f"resources[{desc['resources'].index(res)}]"
        fields = {f["name"]: f.get("type", "string") for f in res["schema"]["fields"]}
        for item in spec.split():
            field, _, kind = item.partition(":")
            kind = kind or "string"
            if field not in fields:
                found.append(
                    Problem(shown, None, f"{where}.schema.fields", f"field {field!r} of {name} is missing; the analyses read it (type {kind})")
                )
            elif fields[field] != kind:
                found.append(Problem(shown, None, f"{where}.schema.fields", f"field {field!r} of {name} is {fields[field]}; it must be {kind}"))
        if tuple(res["schema"].get("primaryKey", ())) != EXPECTED_KEYS[name]:
            found.append(Problem(shown, None, f"{where}.schema.primaryKey", f"the primary key of {name} must be {' + '.join(EXPECTED_KEYS[name])}"))
        declared = {
            (tuple(fk["fields"]), fk["reference"]["resource"], tuple(fk["reference"]["fields"])) for fk in res["schema"].get("foreignKeys", [])
        }
        for fk in EXPECTED_FOREIGN_KEYS.get(name, []):
            if fk not in declared:
                found.append(
                    Problem(
                        shown, None, f"{where}.schema.foreignKeys", f"{name} needs the foreign key {' + '.join(fk[0])} -> {fk[1]}.{' + '.join(fk[2])}"
                    )
                )
    for i, res in enumerate(desc["resources"]):
        names = {f["name"] for f in res["schema"]["fields"]}
        for j, fk in enumerate(res["schema"].get("foreignKeys", [])):
            where = f"resources[{i}].schema.foreignKeys[{j}]"
            target = by_name.get(fk["reference"]["resource"])
            if target is None:
                found.append(Problem(shown, None, where, f"refers to resource {fk['reference']['resource']!r}, which the package does not have"))
                continue
            target_names = {f["name"] for f in target["schema"]["fields"]}
            bad = [f for f in fk["fields"] if f not in names] + [f for f in fk["reference"]["fields"] if f not in target_names]
            if bad or len(fk["fields"]) != len(fk["reference"]["fields"]):
                found.append(Problem(shown, None, where, "its fields must exist on both sides and be as many on each side"))
    return found
