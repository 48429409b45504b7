"""`alsmsc registry import|diff`: ClinicalTrials.gov records against the dataset."""

from __future__ import annotations

import json
import sys

from alsmsc.registry import clinicaltrials_gov


def _records(args) -> list[clinicaltrials_gov.TrialRecord]:
    if args.fetch:
        return clinicaltrials_gov.fetch(timeout=args.timeout)
    if not args.file:
        raise clinicaltrials_gov.RegistryError("give FILE.json, or --fetch to query the live API")
    return clinicaltrials_gov.load(args.file)


def run(args, layout_factory) -> int:
    try:
        records = _records(args)
    except clinicaltrials_gov.RegistryError as exc:
        print(f"alsmsc registry: {exc}", file=sys.stderr)
        return 1
    if args.action == "import":
        if args.json:
            print(json.dumps([r.as_dict() for r in records], indent=1))
        else:
            for r in records:
                print(
                    f"{r.nct_id}  {r.status or '?':<24} n={r.enrollment if r.enrollment is not None else '?':<5} "
                    f"{','.join(r.phases) or '-':<14} results={'yes' if r.has_results else 'no':<3}  {r.title or ''}"
                )
        return 0
    from alsmsc import dataset

    layout = layout_factory()
    trials = dataset.load(layout.data, ["trials"])["trials"]
    changes = clinicaltrials_gov.diff(records, trials)
    if args.json:
        print(json.dumps(changes, indent=1))
    else:
        labels = {
            "new": "new trials (not in the dataset)",
            "status_changed": "status changed",
            "enrollment_changed": "enrollment changed",
            "results_posted": "results newly posted",
        }
        for key, label in labels.items():
            print(f"{label}: {len(changes[key])}")
            for item in changes[key]:
                print("  " + ", ".join(f"{k}={v}" for k, v in item.items()))
    return 3 if any(changes.values()) and args.exit_code else 0
