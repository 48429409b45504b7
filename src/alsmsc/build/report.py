"""Progress display and end-of-build summary (rich), fed by doit's reporter hooks."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.table import Table

console = Console(stderr=True, highlight=False)


def make_reporter(summary, quiet: bool = False):
    """A doit reporter class bound to ``summary`` (doit instantiates reporters itself)."""

    class RichReporter:
        desc = "rich progress for alsmsc"

        def __init__(self, outstream, options):
            self.started: dict[str, float] = {}
            self.total = 0
            self.done = 0

        def _say(self, text: str) -> None:
            if not quiet:
                console.print(text)

        def initialize(self, tasks, selected_tasks):
            self.total = sum(1 for t in tasks.values() if t.actions)

        def get_status(self, task):
            pass

        def execute_task(self, task):
            if task.actions:
                self.started[task.name] = time.perf_counter()
                self._say(f"[cyan]▶[/cyan] {task.name} …")

        def add_success(self, task):
            if not task.actions:
                return
            secs = round(time.perf_counter() - self.started.get(task.name, time.perf_counter()), 2)
            summary.ran.append(task.name)
            summary.seconds[task.name] = secs
            self.done += 1
            self._say(f"[green]✓[/green] {task.name} ran in {secs:.1f} s  [{self.done}/{self.total}]")

        def add_failure(self, task, fail):
            summary.failed.append(task.name)
            summary.seconds[task.name] = round(time.perf_counter() - self.started.get(task.name, time.perf_counter()), 2)
            summary.errors[task.name] = fail.get_msg().strip() if hasattr(fail, "get_msg") else str(fail)
            self._say(f"[red]✗[/red] {task.name} failed")

        def skip_uptodate(self, task):
            if task.actions:
                summary.reused.append(task.name)
                self.done += 1
                self._say(f"[dim]· {task.name} up to date (reused)  [{self.done}/{self.total}][/dim]")

        def skip_ignore(self, task):
            pass

        def cleanup_error(self, exception):
            summary.errors["cleanup"] = exception.get_msg()

        def runtime_error(self, msg):
            summary.errors["doit"] = msg

        def teardown_task(self, task):
            pass

        def complete_run(self):
            pass

    return RichReporter


def print_summary(summary, layout) -> None:
    table = Table(title="alsmsc build summary", show_lines=False)
    table.add_column("step")
    table.add_column("result")
    table.add_column("seconds", justify="right")
    for name in summary.ran:
        table.add_row(name, "[green]ran[/green]", f"{summary.seconds.get(name, 0):.2f}")
    for name in summary.reused:
        table.add_row(name, "[dim]reused[/dim]", "")
    for name in summary.failed:
        table.add_row(name, "[red]FAILED[/red]", f"{summary.seconds.get(name, 0):.2f}")
    console.print(table)
    for name, err in summary.errors.items():
        console.print(f"[red]error in {name}:[/red]")
        # Plain print: messages contain file paths and brackets that rich would treat as markup.
        print(err, file=sys.stderr)
    if summary.html and summary.ok and "book" in summary.ran + summary.reused:
        console.print(f"HTML: {layout.rel(summary.html)}")
    console.print(f"total {summary.total_seconds:.2f} s — {len(summary.ran)} ran, {len(summary.reused)} reused, {len(summary.failed)} failed")
