"""One command that writes the project at a time; a failed book leaves the previous one; Ctrl-C and SIGTERM stop cleanly.

The slow tests share one built copy of the project (a module fixture) and run in file order: each leaves the copy built
and valid for the next. Edits are fixture changes to that copy, never published.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from .conftest import alsmsc, build, copy_project

WAITING = "alsmsc: waiting up to"
INTERRUPTED = "nothing half-written is kept; the next build starts from the last complete step"
TITLE_STUDY = "Alonso2009"  # a background study every build cites (its title is on the References page)


# --------------------------------------------------------------------------- helpers


def start(root: Path, *args: str) -> subprocess.Popen:
    """`alsmsc ARGS` in the background, in its own process group (so a failing test can stop all it started)."""
    env = {**os.environ, "ALSMSC_ROOT": str(root)}
    return subprocess.Popen(
        [sys.executable, "-m", "alsmsc", *args], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def finish(proc: subprocess.Popen, timeout: float = 600) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_until(predicate, what: str, timeout: float = 600):
    """Poll until ``predicate()`` returns something true; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def running(pid: int, word: str) -> list[psutil.Process]:
    """The processes under ``pid`` whose command line contains ``word``."""
    found = []
    for p in descendants(pid):
        try:
            if any(word in part for part in p.cmdline()):
                found.append(p)
        except psutil.Error:
            pass
    return found


def kernels_of(pid: int) -> list[psutil.Process]:
    """Every live Jupyter kernel started by process ``pid`` (jupyter_client gives each kernel JPY_PARENT_PID), wherever
    it is in the process tree, orphans included."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if any("ipykernel" in part for part in p.info["cmdline"] or []) and p.environ().get("JPY_PARENT_PID") == str(pid):
                found.append(p)
        except psutil.Error:
            pass
    return found


def said_after_stop(err: str) -> list[str]:
    """What the command itself wrote to stderr. Kernels share the build's stderr and log there during any build, stopped
    or not: ipykernel warns at start-up that it talks to papermill over local TCP, and logs the interrupt jupyter_client
    sends every kernel it shuts down. Those lines are dropped; a traceback anywhere still fails the test."""
    assert "Traceback" not in err
    return [line for line in err.strip().splitlines() if not line.startswith("[IPKernelApp] ")]


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def book_pages(root: Path) -> list[Path]:
    """The HTML page of every entry of book/_toc.yml (globbed sections expanded from the generated sources)."""
    toc = yaml.safe_load((root / "book" / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                names.append(entry["file"])
            if "glob" in entry:
                names.extend(str(p.relative_to(root / "book").with_suffix("")) for p in sorted((root / "book").glob(entry["glob"] + ".md")))
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return [root / "_build" / "html" / f"{name}.html" for name in names]


def set_title(root: Path, study: str, title: str) -> None:
    path = root / "data" / "studies.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert any(r["study_id"] == study for r in rows)
    for r in rows:
        if r["study_id"] == study:
            r["title"] = title
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    alsmsc(root, "rehash", check=True)


def hold_lock(root: Path) -> subprocess.Popen:
    """A process that holds the project lock, as a running build would, until killed."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from alsmsc.build import guard\n"
        "from alsmsc.files.layout import Layout\n"
        "with guard.exclusive(Layout(Path(sys.argv[1])), 'alsmsc build --pdf', 0):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(root)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


# --------------------------------------------------------------------------- the lock, without building


def test_a_second_command_refuses_or_waits_naming_the_holder(tmp_path):
    root = copy_project(tmp_path / "p")
    holder = hold_lock(root)
    try:
        refused = alsmsc(root, "clean", "--wait", "0")
        assert refused.returncode == 1
        assert f"_build/.lock: the project is being written by pid {holder.pid} (`alsmsc build --pdf`, started " in refused.stderr
        assert "--wait SECONDS" in refused.stderr and "Traceback" not in refused.stderr
        waited = alsmsc(root, "new-study", "Smith2026", "--author", "Smith", "--year", "2026", "--title", "T", "--url", "https://doi.org/10.1/x",
                        "--verified-from", "abstract", "--wait", "0.5")  # fmt: skip
        assert waited.returncode == 1
        assert f"{WAITING} 0.5 s for pid {holder.pid} (`alsmsc build --pdf`" in waited.stderr
        assert "was still being written after 0.5 s" in waited.stderr
        assert "Smith2026" not in (root / "data" / "studies.csv").read_text(encoding="utf-8")  # it never ran
        assert alsmsc(root, "validate").returncode == 0  # reading is not locked

        # Ctrl-C while waiting: one line more, exit 130, and the holder is untouched
        waiting = start(root, "rehash")
        assert wait_until(lambda: waiting.stderr.readline(), "the waiting line", timeout=60).startswith(f"{WAITING} 900 s for pid {holder.pid}")
        waiting.send_signal(signal.SIGINT)
        code, out, err = finish(waiting)
        assert (code, out, err.strip()) == (130, "", "alsmsc rehash: interrupted (SIGINT)")
        assert holder.poll() is None and json.loads((root / "_build" / ".lock.holder.json").read_text())["pid"] == holder.pid
    finally:
        holder.kill()  # SIGKILL: the OS releases the lock with the process
        holder.wait()
    (root / "_build" / "stale").mkdir()
    cleaned = alsmsc(root, "clean", "--wait", "0")
    assert cleaned.returncode == 0, cleaned.stderr
    assert [p.name for p in (root / "_build").iterdir()] == [".lock"]  # the lock file stays; the stale holder note went


def test_mirror_makes_an_exact_copy_and_links_only_what_it_is_told(tmp_path):
    from alsmsc.build.pipeline import _mirror

    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "pdf").mkdir(parents=True)
    (src / "page.html").write_text("new page")
    (src / "same.html").write_text("same")
    (src / "pdf" / "book.pdf").write_bytes(b"%PDF")
    (src / "sub").mkdir()
    (src / "sub" / "a.js").write_text("a")
    (src / "link").symlink_to("page.html")
    (dst / "sub").mkdir(parents=True)
    (dst / "page.html").write_text("old page")  # same size, other content: told apart by its mtime
    os.utime(src / "page.html", ns=(1_000_000_000, 1_000_000_000))
    (dst / "same.html").write_text("same")
    same = (src / "same.html").stat()
    os.utime(dst / "same.html", ns=(same.st_atime_ns, same.st_mtime_ns))
    same_inode = (dst / "same.html").stat().st_ino
    (dst / "stale.html").write_text("left by a failed build")
    (dst / "sub" / "a.js").mkdir()  # a folder where the source has a file
    _mirror(src, dst, linked=("pdf",))
    assert digests(dst) == digests(src)
    assert {p.relative_to(dst) for p in dst.rglob("*")} == {p.relative_to(src) for p in src.rglob("*")}
    assert (dst / "page.html").stat().st_mtime_ns == 1_000_000_000  # Sphinx compares page and source mtimes
    assert (dst / "same.html").stat().st_ino == same_inode  # unchanged files are not copied again
    assert (dst / "pdf" / "book.pdf").stat().st_ino == (src / "pdf" / "book.pdf").stat().st_ino
    assert (dst / "page.html").stat().st_ino != (src / "page.html").stat().st_ino
    assert os.readlink(dst / "link") == "page.html"


# --------------------------------------------------------------------------- building


def interrupted_build(root: Path, signum: int, during, what: str, freeze: bool = False):
    """Start `alsmsc build -q`, wait until ``during(pid)`` finds its processes, freeze them if asked (SIGSTOP, so the
    signal lands while they are mid-work however fast they would finish), send ``signum``; returns the process, what
    was found, every process the build had started, and (exit code, stdout, stderr)."""
    proc = start(root, "build", "-q")
    try:
        found = wait_until(lambda: during(proc.pid), what, timeout=900)
        for p in found if freeze else ():
            p.suspend()
        started = descendants(proc.pid)
        proc.send_signal(signum)
        return proc, found, started, finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("guard") / "project")
    cold = build(root)
    assert cold["ok"], cold["output"]
    return root


@pytest.mark.slow
@pytest.mark.fixture_data
def test_two_builds_at_once_one_waits_and_the_book_is_whole(built):
    chapter = built / "book" / "chapters" / "perspectives.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA sentence added by the concurrency test.\n", encoding="utf-8")
    summaries = [built / "_build" / f"two-{i}.json" for i in (1, 2)]
    procs = [start(built, "build", "--summary-json", str(s)) for s in summaries]
    results = [finish(p) for p in procs]
    assert [code for code, _, _ in results] == [0, 0], results
    ran = [json.loads(s.read_text())["ran"] for s in summaries]
    waited = [i for i, (_, _, err) in enumerate(results) if WAITING in err]
    assert len(waited) == 1, results  # exactly one waited ...
    other = 1 - waited[0]
    assert f"for pid {procs[other].pid} (`alsmsc build --summary-json {summaries[other]}`" in results[waited[0]][2]  # ... for the other
    assert "book" in ran[other] and ran[waited[0]] == []  # which built; the one that waited found nothing left to do
    pages = book_pages(built)
    assert len(pages) > 20 and all(p.is_file() for p in pages), [p for p in pages if not p.is_file()]
    assert "A sentence added by the concurrency test." in (built / "_build" / "html" / "perspectives.html").read_text(encoding="utf-8")
    assert build(built)["ran"] == []


@pytest.mark.slow
@pytest.mark.fixture_data
def test_a_failing_book_leaves_the_previous_book_byte_identical(built):
    assert build(built)["ok"]
    html, env = built / "_build" / "html", built / "_build" / ".doctrees"
    before, env_before = digests(html), digests(env)
    chapter = built / "book" / "chapters" / "perspectives.md"
    original = chapter.read_text(encoding="utf-8")
    chapter.write_text(original + "\nSee {ref}`no-such-label-anywhere`.\n", encoding="utf-8")
    try:
        failed = build(built, check=False)
        assert failed["returncode"] == 1 and "book" in failed["failed"], failed["output"]
        assert "chapter:perspectives" in failed["ran"]  # the chapter ran; Sphinx refused the page
        assert "no-such-label-anywhere" in failed["output"]
        assert "the previous book in _build/html was kept unchanged" in failed["output"]
        assert digests(html) == before
        assert digests(env) == env_before  # nor may Sphinx's environment claim the broken page is done
    finally:
        chapter.write_text(original + "\nA sentence that survives a killed book step.\n", encoding="utf-8")

    # Killed outright (SIGKILL of the build and all it started) while Sphinx runs: nothing can clean up, and still the
    # published book and environment are the previous ones, and the next build publishes the current page.
    proc = start(built, "build", "-q")
    try:
        wait_until(lambda: running(proc.pid, "jupyter-book"), "the book step")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert digests(html) == before and digests(env) == env_before
    fixed = build(built)
    assert fixed["ok"] and "book" in fixed["ran"], fixed["output"]
    page = (html / "perspectives.html").read_text(encoding="utf-8")
    assert "A sentence that survives a killed book step." in page and "no-such-label-anywhere" not in page


@pytest.mark.slow
@pytest.mark.fixture_data
def test_sigint_in_a_notebook_and_sigterm_in_the_book_stop_cleanly_and_the_next_build_recovers(built):
    """Issue 16 (clean interruption) and issue 17 (stale pages): a study's new title must reach the References page and
    the search index after builds stopped while a notebook ran and while Sphinx ran."""
    assert build(built)["ok"]
    html = built / "_build" / "html"
    old_title = next(r["title"] for r in csv.DictReader((built / "data" / "studies.csv").open(encoding="utf-8")) if r["study_id"] == TITLE_STUDY)
    assert old_title in (html / "references.html").read_text(encoding="utf-8")
    new_title = "Zyxwvutprobe incidence of motor neuron disease, retitled by a test"
    set_title(built, TITLE_STUDY, new_title)

    # 1. SIGINT while a notebook runs
    proc, kernels, started, (code, out, err) = interrupted_build(built, signal.SIGINT, kernels_of, "a notebook kernel")
    assert code == 130, err
    assert out == "" and said_after_stop(err) == [f"alsmsc build: interrupted (SIGINT); {INTERRUPTED}"], err
    assert set(kernels) <= set(started) and not [p for p in started if p.is_running()], "processes of the build outlived it"
    assert kernels_of(proc.pid) == []
    assert not (built / "_build" / ".lock.holder.json").exists()

    # 2. SIGTERM while Sphinx runs: the published book is left as it was
    before = digests(html)
    proc, sphinx, started, (code, out, err) = interrupted_build(
        built, signal.SIGTERM, lambda pid: running(pid, "jupyter-book"), "the book step", freeze=True
    )
    assert sphinx and code == 143, err
    assert out == "" and said_after_stop(err) == [f"alsmsc build: interrupted (SIGTERM); {INTERRUPTED}"], err
    assert not [p for p in started if p.is_running()] and kernels_of(proc.pid) == []
    assert digests(html) == before

    # 3. The next build starts from the last complete step (every notebook and chapter finished before the book) and
    # publishes the current pages: no old title, anywhere
    result = build(built)
    assert result["ok"], result["output"]
    assert result["ran"] == ["book"], result["ran"]
    references = (html / "references.html").read_text(encoding="utf-8")
    assert new_title in references and old_title not in references
    assert [p.name for p in html.rglob("*.html") if old_title in p.read_text(encoding="utf-8")] == []  # no page keeps it
    assert "zyxwvutprob" in (html / "searchindex.js").read_text(encoding="utf-8").lower()
    assert build(built)["ran"] == []
