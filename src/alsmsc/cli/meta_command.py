"""`alsmsc meta` and `alsmsc escalc`: the meta-analysis module on CSV files."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

from alsmsc.stats import meta_analysis


class InputError(Exception):
    """A problem in the input file, addressed as file:row:column."""


def read_table(path: Path, required: list[str], numeric: list[str], optional: list[str] = ()) -> dict[str, list]:
    """Columns of a CSV as lists; numbers are parsed with row/column-addressed errors."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(
                f"{path}:1: missing column(s) {', '.join(missing)}; the header must contain {', '.join(required)}"
                + (f" (optionally {', '.join(optional)})" if optional else "")
            )
        cols: dict[str, list] = {c: [] for c in header}
        problems = []
        for line, row in enumerate(reader, start=2):
            if None in row:
                problems.append(f"{path}:{line}: more values than columns")
                continue
            for c in header:
                value = (row.get(c) or "").strip()
                if c in numeric:
                    try:
                        number = float(value)
                    except ValueError:
                        problems.append(f"{path}:{line}:{c}: {value!r} is not a number")
                        number = math.nan
                    cols[c].append(number)
                else:
                    cols[c].append(value)
        if problems:
            raise InputError("\n".join(problems))
    return cols


def _fmt(x: float) -> str:
    return f"{x:.4f}" if isinstance(x, float) and math.isfinite(x) else str(x)


def run_meta(args) -> int:
    try:
        cols = read_table(Path(args.input), ["study", "yi", "vi"], ["yi", "vi", "year"], ["year"])
        result = meta_analysis.rma(cols["yi"], cols["vi"], method=args.method, knha=args.knha)
        loo = meta_analysis.leave_one_out(cols["yi"], cols["vi"], args.method, args.knha, cols["study"]) if args.leave_one_out else None
        if args.cumulative and "year" not in cols:
            raise InputError(f"{args.input}:1: --cumulative needs a 'year' column to order the studies")
        cum = meta_analysis.cumulative(cols["yi"], cols["vi"], cols["year"], args.method, args.knha, cols["study"]) if args.cumulative else None
    except (InputError, meta_analysis.MetaError) as exc:
        print(f"alsmsc meta: {exc}", file=sys.stderr)
        return 1
    if args.json:
        keys = ["k", "method", "estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2", "h2", "q", "q_pval"]
        payload = {k: getattr(result, k) for k in keys}
        payload.update(knha=result.knha, pval=result.pval, weights=dict(zip(cols["study"], result.weights)))
        if loo is not None:
            payload["leave_one_out"] = loo
        if cum is not None:
            payload["cumulative"] = cum
        print(json.dumps(payload, indent=1))
        return 0
    test = "Knapp-Hartung t" if result.knha else "z"
    print(f"{'Random' if result.method != 'FE' else 'Common'}-effects meta-analysis ({result.method}, {test} test), k = {result.k}")
    print(f"  estimate {_fmt(result.estimate)}  SE {_fmt(result.se)}  95% CI [{_fmt(result.ci_lb)}, {_fmt(result.ci_ub)}]  p = {result.pval:.4g}")
    print(f"  95% prediction interval [{_fmt(result.pi_lb)}, {_fmt(result.pi_ub)}]")
    print(f"  tau² {_fmt(result.tau2)}  I² {result.i2:.1f}%  H² {_fmt(result.h2)}  Q({result.q_df}) = {_fmt(result.q)}, p = {result.q_pval:.4g}")
    print("  weights: " + ", ".join(f"{s} {w:.1f}%" for s, w in zip(cols["study"], result.weights)))
    for title, rows, key in (("leave-one-out", loo, "omitted"), ("cumulative", cum, "added")):
        if rows:
            print(f"  {title}:")
            for r in rows:
                print(f"    {key} {r[key]:<20} estimate {_fmt(r['estimate'])} [{_fmt(r['ci_lb'])}, {_fmt(r['ci_ub'])}] tau² {_fmt(r['tau2'])}")
    return 0


ESCALC_COLUMNS = {
    **{m: ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"] for m in meta_analysis.CONTINUOUS},
    **{m: ["ai", "bi", "ci", "di"] for m in meta_analysis.TWO_BY_TWO},
    "PLO": ["xi", "ni"],
}


def run_escalc(args) -> int:
    measure = args.measure.upper()
    if measure not in ESCALC_COLUMNS:
        print(f"alsmsc escalc: unknown measure {args.measure!r}; allowed: {', '.join(meta_analysis.MEASURES)}", file=sys.stderr)
        return 2
    needed = ESCALC_COLUMNS[measure]
    try:
        cols = read_table(Path(args.input), ["study", *needed], needed)
        es = meta_analysis.escalc(measure, study_labels=cols["study"], **{c: cols[c] for c in needed})
    except (InputError, meta_analysis.MetaError) as exc:
        print(f"alsmsc escalc: {exc}", file=sys.stderr)
        return 1
    for message in es.messages:
        print(f"alsmsc escalc: {message}", file=sys.stderr)
    studies = [s for s, keep in zip(cols["study"], es.kept) if keep]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["study", "yi", "vi"])
    for s, y, v in zip(studies, es.yi, es.vi):
        writer.writerow([s, repr(float(y)), repr(float(v))])
    return 0
