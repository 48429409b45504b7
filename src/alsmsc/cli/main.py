"""The ``alsmsc`` command line.

Heavy imports happen inside the commands so that ``alsmsc --help`` and a no-op ``alsmsc build`` stay fast.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
from pathlib import Path

from alsmsc.build.kernels import CELL_TIMEOUT
from alsmsc.files.layout import Layout

DESCRIPTION = """\
Build and check the ALS–MSC living review.

Data flows one way: data/ -> validate -> analysis/ notebooks (papermill) -> _build/generated/ -> book -> _build/html.
Every step re-runs only when something it depends on changed (its code, its parameters, or the content of a data
file it reads); everything else is reused.
"""

EPILOG = """\
exit status: 0 on success, 1 when data are invalid, a step failed or another command holds the project, 2 on a usage
error, 130 when stopped by Ctrl-C (SIGINT) and 143 by SIGTERM.

One command that writes the project (build, run, clean, rehash, release, new-study) runs at a time; a second one waits
for it (saying which process it waits for), up to --wait seconds (default 900; 0 refuses at once).
"""

# The commands that write the project (generated files, the book, the data) and therefore hold its lock.
WRITERS = ("build", "run", "clean", "rehash", "release", "new-study")
WAIT_SECONDS = 900  # a cold build with the PDF takes about two minutes here; 100 times the data, about five


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alsmsc", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=None, help="project root (default: found from the current folder)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def waits(sp):
        sp.add_argument(
            "--wait",
            type=float,
            default=WAIT_SECONDS,
            metavar="SECONDS",
            help=f"when another command is writing the project, wait this long for it (default {WAIT_SECONDS}); 0: refuse at once",
        )

    def common_run(sp):
        waits(sp)
        sp.add_argument("-j", "--jobs", type=_at_least_one, default=None, help="notebooks to run in parallel (default: up to 2, one per core)")
        sp.add_argument(
            "--cell-timeout",
            type=_at_least_one,
            default=CELL_TIMEOUT,
            metavar="SECONDS",
            help=f"stop a notebook or chapter whose cell runs longer than this and fail the build with its name (default {CELL_TIMEOUT})",
        )
        sp.add_argument("--force", action="store_true", help="re-run every step even if up to date")
        sp.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
        sp.add_argument(
            "--summary-json",
            type=Path,
            default=None,
            metavar="FILE",
            help="also write the summary (steps ran, reused, failed, seconds) as JSON to FILE",
        )

    b = sub.add_parser(
        "build",
        help="validate the data, run the analysis notebooks that are out of date, build the book, print a summary",
        description="Validate data/, run out-of-date analysis notebooks in parallel, write generated outputs, "
        "build the Jupyter Book with -W --keep-going -n, and print what ran, what was reused and timings.",
    )
    common_run(b)
    b.add_argument("--no-strict", action="store_true", help="do not turn Sphinx warnings into errors (for drafting only)")
    b.add_argument(
        "--pdf",
        action="store_true",
        help="also print the PDF edition (_build/pdf/, served by the book under pdf/; about a minute when anything changed)",
    )
    r = sub.add_parser(
        "run",
        help="validate the data and run the out-of-date analysis notebooks (no book)",
        description="Validate data/ and run the analysis notebooks whose code, parameters or data changed.",
    )
    common_run(r)
    r.add_argument("notebooks", nargs="*", help="only these notebooks (names without .ipynb)")
    r.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a sensitivity analysis: run ONE notebook with this parameter changed (repeatable), into --out; "
        "the published outputs and the book are not touched",
    )
    r.add_argument("--out", type=Path, default=None, metavar="DIR", help="where a parameterised run goes (default _build/runs/NOTEBOOK-HASH)")
    r.add_argument("--timeout", type=int, default=None, metavar="SECONDS", help="stop a parameterised run whose cell runs longer than this")
    sub.add_parser(
        "validate",
        help="check the data package and print every problem as file:row:column: message",
        description="Check schemas, enums, keys, duplicates, identifier formats, checksums and cross-field rules. "
        "Prints every problem as file:row:column: message and exits 1 if there is any.",
    )
    rehash = sub.add_parser(
        "rehash",
        help="record the current sha256 of every data file in data/datapackage.json (after an intended edit)",
        description="After an intended edit of a data file, record its new sha256 and size in data/datapackage.json.",
    )
    clean = sub.add_parser(
        "clean",
        help="delete _build/ (generated outputs, book HTML and the task state) and the executed chapters",
        description="Delete _build/ (generated outputs, book HTML and task state) and the chapters the build ran into book/NAME.ipynb.",
    )
    waits(rehash)
    waits(clean)
    from alsmsc.stats.names import CONTROLS, MEASURES, METHODS  # names only: the engine loads when a command runs

    m = sub.add_parser(
        "meta",
        help="meta-analysis of a CSV as R's metafor does it: every tau² estimator, Knapp-Hartung, prediction and Q-profile "
        "intervals, leave-one-out, cumulative, influence, meta-regression, Egger's test, Mantel-Haenszel, Peto, GLMM",
        description="Pool effect sizes. INPUT.csv has columns study, yi, vi (and year for --cumulative, moderator columns for "
        "--mods), or arm-level columns with --measure (as for escalc). Defaults as in metafor: REML, z tests, 95%%; "
        "iterative estimators converge exactly unless --control metafor.",
    )
    m.add_argument("input", metavar="INPUT.csv")
    m.add_argument("--method", default="REML", type=str.upper, choices=[*METHODS, "MH", "PETO", "GLMM"])
    m.add_argument("--measure", type=str.upper, choices=MEASURES, help="compute yi, vi from arm-level columns first (needed for MH, PETO, GLMM)")
    m.add_argument("--drop00", action="store_true", help="with --measure: drop studies with no events (or only events) in both arms")
    m.add_argument("--knha", action="store_true", help="Knapp-Hartung standard errors and t-based intervals")
    m.add_argument("--level", default="95", metavar="LEVEL", help="confidence level, 95 or 0.95 (default 95)")
    m.add_argument(
        "--control", default="exact", choices=CONTROLS, help="exact: iterate to the optimum (default); metafor: stop where metafor's defaults stop"
    )
    m.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    m.add_argument("--leave-one-out", action="store_true", help="add the leave-one-out results")
    m.add_argument("--cumulative", action="store_true", help="add the cumulative results ordered by the year column")
    m.add_argument("--tau2-ci", action="store_true", help="Q-profile confidence intervals for tau², tau, I² and H²")
    m.add_argument("--influence", action="store_true", help="influence diagnostics: studentised residuals, Cook's distance, hat values")
    m.add_argument("--mods", type=lambda s: [c.strip() for c in s.split(",") if c.strip()], default=[], metavar="COL[,COL]",
                   help="meta-regression on these columns (numbers as they are, text as categories) with an omnibus test")  # fmt: skip
    m.add_argument("--egger", action="store_true", help="Egger's regression test (refused below 10 studies)")
    m.add_argument("--funnel", action="store_true", help="funnel plot data in the JSON output (refused below 10 studies)")
    e = sub.add_parser(
        "escalc",
        help="compute effect sizes yi, vi from arm-level columns, as metafor names them",
        description="Compute yi and vi per study. Columns: study plus m1i, sd1i, n1i, m2i, sd2i, n2i (MD, SMD, ROM); "
        "ai, bi, ci, di (RR, OR, RD); xi, ni (PR, PLO, PAS, PFT). Writes CSV (study, yi, vi) to standard output.",
    )
    e.add_argument("measure", metavar="MEASURE", help=", ".join(MEASURES))
    e.add_argument("input", metavar="INPUT.csv")
    e.add_argument("--drop00", action="store_true", help="drop studies with no events (or only events) in both arms, as metafor's drop00=TRUE")
    ns = sub.add_parser(
        "new-study",
        help="add a correctly shaped record (fill what you read; the rest is marked not reported) and validate it",
        description="Append a record to studies.csv, linked to its trial (for a trial not yet in the data: a trial row, "
        "an MSC arm and an unassessed risk-of-bias entry). "
        "Only the values given are filled; everything else is blank and listed in not_reported. "
        "The files are restored if the result does not validate.",
    )
    ns.add_argument("study_id", help="FirstauthorYYYY (e.g. Smith2026), or the NCT id of a registry-only record")
    ns.add_argument("--type", dest="record_type", choices=["clinical", "review", "background"], default="clinical")
    ns.add_argument("--author", required=True, help="first author's surname")
    ns.add_argument("--year", type=int, required=True)
    ns.add_argument("--title", required=True)
    ns.add_argument("--url", required=True, help="authoritative URL of the source (DOI, PubMed/PMC, registry or regulator page)")
    ns.add_argument("--read-url", default="", help="the copy you actually read, when not the authoritative page itself")
    ns.add_argument("--trial", dest="trial_id", default="", help="the trial this clinical record reports on (existing or new trial_id)")
    ns.add_argument(
        "--kind",
        dest="record_kind",
        default="results",
        choices=[
            "registration",
            "protocol",
            "results",
            "interim_results",
            "long_term_follow_up",
            "secondary_analysis",
            "press_release",
            "conference_abstract",
            "case_report",
            "regulatory_document",
        ],
    )
    ns.add_argument(
        "--verified-from",
        required=True,
        choices=[
            "full_text",
            "full_text_partial",
            "abstract",
            "abstract_partial",
            "registry",
            "press_release",
            "regulatory_document",
            "secondary_source",
        ],
    )
    ns.add_argument("--doi", default="")
    ns.add_argument("--pmid", default="")
    ns.add_argument("--registry-ids", default="")
    ns.add_argument("--journal", default="")
    ns.add_argument(
        "--publication-type",
        default="peer_reviewed",
        choices=["peer_reviewed", "registry_only", "press_release", "news", "conference_abstract", "regulatory_document", "preprint"],
    )
    ns.add_argument("--country", default="not_reported")
    waits(ns)
    rl = sub.add_parser(
        "release",
        help="bump the dataset version: changelog from the diff against the previous release, drift check, checksums and CITATION.cff updated",
        description="Set data/datapackage.json to VERSION, refresh checksums, write the CHANGELOG entry from the "
        "field-by-field diff against the previous release (found in git history), flag a material update "
        "when a pooled estimate moved beyond THRESHOLD or its CI crossed the null, and update CITATION.cff.",
    )
    rl.add_argument("version", metavar="X.Y.Z")
    rl.add_argument("--date", default=None, help="release date YYYY-MM-DD (default: today)")
    rl.add_argument(
        "--previous",
        default=None,
        metavar="COMMIT",
        help="the commit of the previous release (default: the newest commit whose data/datapackage.json has the current version)",
    )
    rl.add_argument("--threshold", type=float, default=0.10, help="relative change of a pooled estimate that counts as material (default 0.10)")
    waits(rl)
    g = sub.add_parser(
        "registry",
        help="import ClinicalTrials.gov API v2 JSON, or diff it against the dataset (new trials, status, enrollment, results); "
        "--fetch queries the live API",
        description="Read ClinicalTrials.gov API v2 JSON (one study, or a search page with 'studies') and either list "
        "the normalised records (import) or report what differs from data/clinical_studies.csv (diff).",
    )
    g.add_argument("action", choices=["import", "diff"])
    g.add_argument("file", nargs="?", metavar="FILE.json")
    g.add_argument("--fetch", action="store_true", help="query the live API for MSC + ALS trials instead of reading a file")
    g.add_argument("--timeout", type=float, default=30, help="seconds per request with --fetch")
    g.add_argument("--json", action="store_true", help="print JSON")
    g.add_argument("--exit-code", action="store_true", help="diff: exit 3 when anything changed (for scheduled jobs)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    args.command_line = shlex.join(["alsmsc", *(sys.argv[1:] if argv is None else argv)])  # named to a waiting command
    from alsmsc.build import guard

    with guard.interruptible():
        try:
            return _dispatch(args)
        except guard.Interrupted as stopped:  # outside the lock: nothing of this project was written
            guard.stop(stopped, f"alsmsc {args.command}: interrupted ({stopped.name})")


def _dispatch(args) -> int:
    if args.command in ("meta", "escalc"):  # work on any CSV, inside or outside the project
        from alsmsc.cli import meta_command

        return meta_command.run_meta(args) if args.command == "meta" else meta_command.run_escalc(args)
    if args.command == "registry":
        from alsmsc.cli import registry_command

        return registry_command.run(args, lambda: Layout.discover(args.root))
    try:
        layout = Layout.discover(args.root)
    except FileNotFoundError as exc:
        print(f"alsmsc: {exc}", file=sys.stderr)
        return 2
    command = {"build": _build, "run": _run, "validate": _validate, "rehash": _rehash, "clean": _clean, "release": _release, "new-study": _new_study}[
        args.command
    ]
    from alsmsc.dataset import DataError

    try:
        if args.command not in WRITERS:
            return command(layout, args)
        return _holding_the_project(layout, args, command)
    except DataError as exc:  # a descriptor no command can read (missing, not JSON, wrong shape): its problems, one per line
        print(f"alsmsc {args.command}: data/datapackage.json cannot be used:\n{exc}", file=sys.stderr)
        return 1


def _holding_the_project(layout: Layout, args, command) -> int:
    """Run a command that writes the project under its lock; an interruption stops it inside the lock (see guard.stop)."""
    from alsmsc.build import guard

    try:
        with guard.exclusive(layout, args.command_line, args.wait):
            try:
                return command(layout, args)
            except guard.Interrupted as stopped:
                if args.command in ("build", "run"):
                    said = "nothing half-written is kept; the next build starts from the last complete step"
                else:
                    said = "the command did not finish"
                guard.stop(stopped, f"alsmsc {args.command}: interrupted ({stopped.name}); {said}", layout)
    except guard.Busy as exc:
        print(f"alsmsc {args.command}: {exc}", file=sys.stderr)
        return 1


def _new_study(layout: Layout, args) -> int:
    from alsmsc.dataset.new_study import new_study

    problems = new_study(
        layout,
        args.study_id,
        args.record_type,
        args.author,
        args.year,
        args.title,
        args.url,
        args.verified_from,
        args.doi,
        args.pmid,
        args.registry_ids,
        args.journal,
        args.publication_type,
        args.country,
        trial_id=args.trial_id,
        record_kind=args.record_kind,
        read_url=args.read_url,
    )
    if problems:
        print("alsmsc new-study: the record was not added, because the data would not be valid:", file=sys.stderr)
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    print(f"added {args.study_id}; complete its blank fields from the source, then run `alsmsc rehash` and `alsmsc validate`")
    return 0


def _release(layout: Layout, args) -> int:
    from alsmsc.analyses.drift import drift
    from alsmsc.dataset.release import ReleaseError, release

    try:
        entry, flags = release(layout, args.version, args.date, args.threshold, previous=args.previous, drift=drift)
    except ReleaseError as exc:
        print(f"alsmsc release: {exc}", file=sys.stderr)
        return 1
    print(entry)
    print(f"released data version {args.version}" + (" — MATERIAL UPDATE" if flags else ""))
    return 0


def _validate(layout: Layout, args) -> int:
    from alsmsc import dataset

    problems = dataset.validate(layout.data)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"alsmsc validate: {len(problems)} problem(s) in data/", file=sys.stderr)
        return 1
    desc = dataset.read_descriptor(layout.datapackage)
    print(f"data/ is valid: {desc['name']} {desc.get('version', '')} ({len(desc['resources'])} tables)")
    return 0


def _at_least_one(text: str) -> int:
    """A whole number >= 1 for argparse (its own error line names the option: `argument -j/--jobs: ...`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give 1 or more") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; give 1 or more")
    return value


def _execute(layout: Layout, args, targets: list[str]) -> int:
    from alsmsc.build import pipeline
    from alsmsc.build.report import print_summary

    summary = pipeline.run(
        layout,
        targets,
        jobs=args.jobs,
        always=args.force,
        strict=not getattr(args, "no_strict", False),
        quiet=args.quiet,
        cell_timeout=args.cell_timeout,
    )
    print_summary(summary, layout)
    if args.summary_json:
        import json

        args.summary_json.write_text(json.dumps(summary.as_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if summary.ok else 1


def _build(layout: Layout, args) -> int:
    return _execute(layout, args, ["book", "pdf"] if args.pdf else ["book"])


def _run(layout: Layout, args) -> int:
    if args.parameter or args.out is not None:
        return _parameterised_run(layout, args)
    known = sorted(p.stem for p in layout.notebooks())
    unknown = [n for n in args.notebooks if n not in known]
    if unknown:
        print(f"alsmsc run: no notebook named {', '.join(unknown)} in analysis/; available: {', '.join(known)}", file=sys.stderr)
        return 2
    targets = [f"notebook:{n}" for n in args.notebooks] if args.notebooks else ["notebook", "status"]
    return _execute(layout, args, targets)


def _parameterised_run(layout: Layout, args) -> int:
    import time

    from alsmsc.build import runs

    if len(args.notebooks) != 1:
        print("alsmsc run: -p/--out run exactly one notebook, e.g. `alsmsc run evidence_synthesis -p knha=false`", file=sys.stderr)
        return 2
    started = time.perf_counter()  # not in run.json: a run's files are the same whenever and however fast it ran
    try:
        folder = runs.run(layout, args.notebooks[0], args.parameter, out=args.out, timeout=args.timeout)
    except runs.RunError as exc:
        print(f"alsmsc run: {exc}", file=sys.stderr)
        return 2
    record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    changed = ", ".join(f"{k}={v}" for k, v in record["set_by_you"].items()) or "the defaults"
    print(f"ran analysis/{args.notebooks[0]}.ipynb with {changed} on dataset {record['dataset_version']} in {time.perf_counter() - started:.1f} s")
    print(f"results: {folder}/outputs (tables, figures, numbers.json); executed notebook and run.json beside them")
    return 0


def _rehash(layout: Layout, args) -> int:
    from alsmsc import dataset

    changed = dataset.rehash(layout.data)
    print("updated checksums: " + (", ".join(changed) if changed else "none changed"))
    return 0


def _clean(layout: Layout, args) -> int:
    from alsmsc.build.guard import KEEP_ON_CLEAN

    removed = []
    # everything in _build/ but the lock this command holds (unlinking it would let a second command lock a new file)
    contents = [p for p in layout.build.iterdir() if p.name not in KEEP_ON_CLEAN] if layout.build.is_dir() else []
    for path in contents:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if contents:
        removed.append(f"{layout.rel(layout.build)}/")
    for chapter in sorted(layout.chapters.glob("*.md")):  # the pages the build ran from book/chapters/
        executed = layout.executed_chapter(chapter.stem)
        if executed.exists():
            executed.unlink()
            removed.append(layout.rel(executed))
    print("removed " + ", ".join(removed) if removed else "nothing to clean")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
