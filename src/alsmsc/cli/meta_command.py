"""`alsmsc meta` and `alsmsc escalc`: the meta-analysis module on CSV files."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import numpy as np

from alsmsc.stats import meta_analysis


class InputError(Exception):
    """A problem in the input file, addressed as file:row:column."""


def read_table(path: Path, required: list[str], numeric: list[str], optional: list[str] = ()) -> dict[str, list]:
    """Columns of a CSV as lists; numbers are parsed with row/column-addressed errors. Column by column, because a
    million-row file spends seconds in a per-cell loop."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(
                f"{path}:1: missing column(s) {', '.join(missing)}; the header must contain {', '.join(required)}"
                + (f" (optionally {', '.join(optional)})" if optional else "")
            )
        width, problems = len(header), []
        rows = list(reader)  # csv's C loop; rows of the wrong length are rare and handled below
    lines = list(range(2, len(rows) + 2))
    if any(len(r) != width for r in rows):
        kept_lines, kept = [], []
        for line, row in zip(lines, rows):
            if not row:
                continue  # a blank line, as csv.DictReader skips it
            if len(row) > width:
                problems.append((line, -1, f"{path}:{line}: more values than columns"))
                continue
            kept_lines.append(line)
            kept.append(row + [""] * (width - len(row)))
        lines, rows = kept_lines, kept
    columns = list(zip(*rows)) if rows else [() for _ in header]
    cols: dict[str, list] = {}
    for j, c in enumerate(header):
        raw = columns[j]
        if c not in numeric:
            cols[c] = [x.strip() for x in raw]
            continue
        try:
            cols[c] = [float(x) for x in raw]  # float() ignores surrounding whitespace
        except ValueError:
            values = []
            for line, x in zip(lines, raw):
                try:
                    values.append(float(x))
                except ValueError:
                    problems.append((line, j, f"{path}:{line}:{c}: {x.strip()!r} is not a number"))
                    values.append(math.nan)
            cols[c] = values
    if problems:
        raise InputError("\n".join(message for *_, message in sorted(problems)))
    return cols


def _fmt(x: float) -> str:
    return f"{x:.4f}" if isinstance(x, float) and math.isfinite(x) else str(x)


ESCALC_COLUMNS = {
    **{m: ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"] for m in meta_analysis.CONTINUOUS},
    **{m: ["ai", "bi", "ci", "di"] for m in meta_analysis.TWO_BY_TWO},
    **{m: ["xi", "ni"] for m in meta_analysis.PROPORTIONS},
}


def _level(value: str) -> float:
    """--level accepts 95 or 0.95, as metafor's level argument does."""
    number = float(value)
    return number / 100 if 1 < number < 100 else number


def _moderators(cols: dict[str, list], names: list[str], path: Path):
    """Moderator columns as a design matrix: a column of numbers enters as it is, any other as categories (dummy
    columns against the first level in sorted order, as metafor codes a factor)."""
    from alsmsc.stats import regression

    blocks, labels = [], []
    for name in names:
        if name not in cols:
            raise InputError(f"{path}:1: --mods names column {name!r}, which the file does not have; columns: {', '.join(cols)}")
        values = cols[name]
        if any(v == "" for v in values):
            raise InputError(f"{path}:{values.index('') + 2}:{name}: empty moderator value; every study needs one")
        try:
            numbers = [float(v) for v in values]
        except ValueError:
            x, dummy_names = regression.moderator_matrix(values, name=name)
            blocks.append(np.asarray(x, float).reshape(len(values), -1))
            labels += list(dummy_names)
            continue
        blocks.append(np.asarray(numbers, float).reshape(-1, 1))
        labels.append(name)
    return np.hstack(blocks), labels


def _read_input(args):
    """Effect sizes from the file: yi and vi given, or computed from arm-level columns with --measure."""
    path = Path(args.input)
    extra = list(args.mods) + (["year"] if args.cumulative else [])
    if args.measure:
        measure = args.measure.upper()
        if measure not in ESCALC_COLUMNS:
            raise InputError(f"unknown measure {args.measure!r}; allowed: {', '.join(meta_analysis.MEASURES)}")
        needed = ESCALC_COLUMNS[measure]
        cols = read_table(path, ["study", *needed], needed + (["year"] if args.cumulative else []), extra)
        arms = {c: cols[c] for c in needed}
        if args.method in ARM_METHODS:
            return cols, None, arms, measure
        es = meta_analysis.escalc(measure, study_labels=cols["study"], drop00=args.drop00, **arms)
        for message in es.messages:
            print(f"alsmsc meta: {message}", file=sys.stderr)
        kept = np.asarray(es.kept)
        cols = {c: [x for x, keep in zip(v, kept) if keep] for c, v in cols.items()}
        return cols, es, arms, measure
    if args.method in ARM_METHODS:
        raise InputError(f"--method {args.method} works on arm-level counts: give --measure (OR, RR or RD; PLO for GLMM) and columns ai, bi, ci, di")
    cols = read_table(path, ["study", "yi", "vi"], ["yi", "vi"] + (["year"] if args.cumulative else []), ["year", *extra])
    return cols, None, None, None


ARM_METHODS = ("MH", "PETO", "GLMM")


def _arm_level(args, cols, arms, measure) -> dict:
    """Mantel-Haenszel, Peto or the logistic-normal model, which work on the counts themselves."""
    level = _level(args.level)
    if args.method == "GLMM":
        if measure == "PLO":
            return meta_analysis.rma_glmm_plo(arms["xi"], arms["ni"], level=level).as_dict()
        if measure != "OR":
            raise InputError("--method GLMM fits log odds ratios (--measure OR) or proportions (--measure PLO)")
        from alsmsc.stats import glmm

        return glmm.rma_glmm_or(arms["ai"], arms["bi"], arms["ci"], arms["di"], level=level, labels=cols["study"]).as_dict()
    from alsmsc.stats import rare_events

    if measure not in meta_analysis.TWO_BY_TWO:
        raise InputError(f"--method {args.method} needs a 2x2 measure: --measure OR, RR or RD")
    if args.method == "PETO":
        if measure != "OR":
            raise InputError("--method PETO estimates odds ratios only: --measure OR")
        return rare_events.rma_peto(arms["ai"], arms["bi"], arms["ci"], arms["di"], level=level, labels=cols["study"]).as_dict()
    return rare_events.rma_mh(arms["ai"], arms["bi"], arms["ci"], arms["di"], measure=measure, level=level, labels=cols["study"]).as_dict()


def run_meta(args) -> int:
    try:
        cols, _, arms, measure = _read_input(args)
        if args.method in ARM_METHODS:
            for flag in ("knha", "leave_one_out", "cumulative", "tau2_ci", "influence", "egger", "funnel"):
                if getattr(args, flag):
                    raise InputError(f"--{flag.replace('_', '-')} applies to inverse-variance models, not --method {args.method}")
            if args.mods:
                raise InputError(f"--mods applies to inverse-variance models, not --method {args.method}")
            payload = _arm_level(args, cols, arms, measure)
            if args.json:
                print(json.dumps(payload, indent=1, allow_nan=False, default=str))
            else:
                _print_mapping(f"{args.method} meta-analysis ({measure})", payload)
            return 0
        payload = _inverse_variance(args, cols)
    except (InputError, meta_analysis.MetaError) as exc:
        print(f"alsmsc meta: {exc}", file=sys.stderr)
        return 1
    if args.json:
        # indented for people up to a thousand studies; above that the C encoder (which cannot indent) is 10x faster
        print(json.dumps(payload, indent=1 if len(cols["yi"]) <= 1000 else None))
        return 0
    _print_inverse_variance(payload)
    return 0


def _inverse_variance(args, cols) -> dict:
    level, control, method, knha = _level(args.level), args.control, args.method, args.knha
    y, v, labels = cols["yi"], cols["vi"], cols["study"]
    if args.mods:
        from alsmsc.stats import regression

        x, names = _moderators(cols, args.mods, Path(args.input))
        fit = regression.rma_mods(y, v, x, names=names, method=method, knha=knha, level=level, control=control)
        payload = {"model": "meta-regression", **fit.as_dict()}
    else:
        result = meta_analysis.rma(y, v, method=method, knha=knha, level=level, control=control)
        keys = ["k", "method", "level", "control", "estimate", "se", "stat", "pval", "ci_lb", "ci_ub", "pi_lb", "pi_ub"]
        payload = {"model": "random-effects" if method != "FE" else "common-effect", **{k: getattr(result, k) for k in keys}}
        payload.update({k: getattr(result, k) for k in ("tau2", "i2", "h2", "q", "q_df", "q_pval")})
        payload.update(knha=result.knha, weights=dict(zip(labels, result.weights)))
    if args.tau2_ci:
        from alsmsc.stats import heterogeneity

        if args.mods:
            raise InputError("--tau2-ci is computed for the model without moderators; drop --mods")
        payload["tau2_ci"] = heterogeneity.tau2_ci(y, v, method=method, level=level, control=control).as_dict()
    if args.leave_one_out:
        payload["leave_one_out"] = meta_analysis.leave_one_out(y, v, method, knha, labels, level, control)
    if args.cumulative:
        if "year" not in cols:
            raise InputError(f"{args.input}:1: --cumulative needs a 'year' column to order the studies")
        payload["cumulative"] = meta_analysis.cumulative(y, v, cols["year"], method, knha, labels, level, control)
    if args.influence:
        from alsmsc.stats import influence

        payload["influence"] = influence.influence(y, v, method=method, knha=knha, labels=labels, control=control).as_dict()
    if args.egger or args.funnel:
        from alsmsc.stats import publication_bias

        if args.egger:
            payload["egger"] = publication_bias.egger_test(y, v, method=method, knha=knha, control=control, level=level).as_dict()
        if args.funnel:
            estimate = payload["estimate"] if "estimate" in payload else meta_analysis.rma(y, v, method=method, control=control).estimate
            payload["funnel"] = publication_bias.funnel_data(y, v, estimate, level=level).as_dict()
    return payload


def _print_mapping(title: str, payload: dict) -> None:
    print(title)
    for key, value in payload.items():
        if isinstance(value, (list, dict)):
            continue
        shown = f"{value:.4g}" if "pval" in key and isinstance(value, float) else _fmt(value)
        print(f"  {key:<18} {shown}")


def _print_inverse_variance(p: dict) -> None:
    level = f"{100 * p['level']:g}%"
    if p["model"] == "meta-regression":
        test = "t" if p["knha"] else "z"
        print(f"Meta-regression ({p['method']}, {test} tests), k = {p['k']}, {level} intervals")
        print(f"  {'coefficient':<24} {'estimate':>10} {'SE':>10} {test:>9} {'p':>10}   CI")
        for i, name in enumerate(p["names"]):
            ci = f"[{_fmt(p['ci_lb'][i])}, {_fmt(p['ci_ub'][i])}]"
            print(f"  {name:<24} {_fmt(p['b'][i]):>10} {_fmt(p['se'][i]):>10} {_fmt(p['zval'][i]):>9} {p['pval'][i]:>10.4g}   {ci}")
        df = ", ".join(str(d) for d in p["qm_df"] if d is not None)
        print(f"  test of moderators: {'F' if p['knha'] else 'QM'}({df}) = {_fmt(p['qm'])}, p = {p['qm_pval']:.4g}")
        print(f"  residual heterogeneity: QE({p['qe_df']}) = {_fmt(p['qe'])}, p = {p['qe_pval']:.4g}; tau² {_fmt(p['tau2'])}, I² {p['i2']:.1f}%")
    else:
        test = "Knapp-Hartung t" if p["knha"] else "z"
        kind = "Random" if p["method"] != "FE" else "Common"
        print(f"{kind}-effects meta-analysis ({p['method']}, {test} test), k = {p['k']}")
        print(f"  estimate {_fmt(p['estimate'])}  SE {_fmt(p['se'])}  {level} CI [{_fmt(p['ci_lb'])}, {_fmt(p['ci_ub'])}]  p = {p['pval']:.4g}")
        print(f"  {level} prediction interval [{_fmt(p['pi_lb'])}, {_fmt(p['pi_ub'])}]")
        print(f"  tau² {_fmt(p['tau2'])}  I² {p['i2']:.1f}%  H² {_fmt(p['h2'])}  Q({p['q_df']}) = {_fmt(p['q'])}, p = {p['q_pval']:.4g}")
        print("  weights: " + ", ".join(f"{s} {w:.1f}%" for s, w in p["weights"].items()))
    if "tau2_ci" in p:
        ci = p["tau2_ci"]
        for key in ("tau2", "tau", "i2", "h2"):
            print(f"  {key:<5} {_fmt(ci[key]['estimate'])} [{_fmt(ci[key]['ci_lb'])}, {_fmt(ci[key]['ci_ub'])}] (Q-profile)")
        for message in ci.get("messages", []):
            print(f"  note: {message}")
    for title, key, label in (("leave-one-out", "leave_one_out", "omitted"), ("cumulative", "cumulative", "added")):
        if key in p:
            print(f"  {title}:")
            for r in p[key]:
                ci = f"[{_fmt(r['ci_lb'])}, {_fmt(r['ci_ub'])}]"
                print(f"    {label} {r[label]:<20} estimate {_fmt(r['estimate'])} {ci} p = {r['pval']:.4g} tau² {_fmt(r['tau2'])} H² {_fmt(r['h2'])}")
    if "influence" in p:
        inf = p["influence"]
        print("  influence: study, studentised residual, Cook's distance, hat, influential")
        for i, label in enumerate(inf["labels"]):
            print(
                f"    {label:<20} {_fmt(inf['rstudent'][i]):>9} {_fmt(inf['cook_d'][i]):>9} {_fmt(inf['hat'][i]):>9} {'yes' if inf['inf'][i] else ''}"
            )
    if "egger" in p:
        e = p["egger"]
        limit = f"{_fmt(e['limit_estimate'])} [{_fmt(e['limit_ci_lb'])}, {_fmt(e['limit_ci_ub'])}]"
        print(f"  Egger's regression test: {'t' if e['df'] else 'z'} = {_fmt(e['stat'])}, p = {e['pval']:.4g}; limit estimate {limit}")
    if "funnel" in p:
        print("  funnel plot data: in --json output")


def run_escalc(args) -> int:
    measure = args.measure.upper()
    if measure not in ESCALC_COLUMNS:
        print(f"alsmsc escalc: unknown measure {args.measure!r}; allowed: {', '.join(meta_analysis.MEASURES)}", file=sys.stderr)
        return 2
    needed = ESCALC_COLUMNS[measure]
    try:
        cols = read_table(Path(args.input), ["study", *needed], needed)
        es = meta_analysis.escalc(measure, study_labels=cols["study"], drop00=args.drop00, **{c: cols[c] for c in needed})
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
