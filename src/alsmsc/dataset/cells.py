"""Checks of the raw text of every cell, before types are applied: sizes, characters, finite numbers, web URLs.

They read the cells as text with the standard ``csv`` module because the typed readers hide what is checked here:
pandas turns ``NaN`` into a missing value, and Frictionless accepts ``inf``, ``NaN`` and control characters.
"""

from __future__ import annotations

import csv
import io
import math
import re
from urllib.parse import urlsplit

from alsmsc.dataset import limits
from alsmsc.dataset.problems import Problem

# C0 and C1 control characters except tab, line feed and carriage return (allowed in free text, where a cell may span
# lines); DEL; and the bidirectional overrides and isolates that make text read differently from what it is.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")
_LINE_BREAK = re.compile("[\t\r\n]")
# a scheme after a separator inside a URL cell, e.g. the javascript: in "https://doi.org/x;javascript:alert(1)"
_EMBEDDED_SCHEME = re.compile(r"[;,]\s*([A-Za-z][A-Za-z0-9+.-]*):")
WEB_SCHEMES = ("http", "https")
MAX_REPORTED = 200  # problems listed per file
# what pandas reads as a number too (Python and Frictionless also accept '1_000', which pandas refuses)
_PLAIN_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def is_url_field(name: str) -> bool:
    return name == "url" or name.endswith("_url")


def single_line(field: dict, key: set[str]) -> bool:
    """Identifiers, codes and typed values are one line; only free text may span lines."""
    cons = field.get("constraints", {})
    return field.get("type", "string") != "string" or "enum" in cons or "pattern" in cons or field["name"] in key or is_url_field(field["name"])


def check(shown: str, schema: dict, text: str) -> tuple[list[Problem], bool]:
    """Problems of the raw cells of one CSV file, and whether the file is unusable as a table (nothing else should
    read it: too many rows, a cell too long to parse, no data rows or no recognisable header)."""
    problems: list[Problem] = []
    old_limit = csv.field_size_limit(limits.MAX_CELL_CHARS + 1)
    try:
        reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
        try:
            header = next(reader, None)
            if header is None:
                return [Problem(shown, None, None, "file is empty; it needs at least the header row")], True
            fields = {f["name"]: f for f in schema["fields"]}
            key = set(schema.get("primaryKey", []))
            if len(header) == 1 and len(fields) > 1 and (";" in header[0] or "\t" in header[0]):
                sep = "';'" if ";" in header[0] else "a tab"
                return [Problem(shown, 1, None, f"the header is one column separated by {sep}; the data package reads comma-separated files")], True
            columns = [fields.get(name) for name in header]
            rows = 0
            for rows, record in enumerate(reader, start=1):  # noqa: B007 - rows counts what was read
                if rows > limits.MAX_ROWS:
                    return problems + [
                        Problem(shown, None, None, f"has more than {limits.MAX_ROWS:,} data rows; the limit is {limits.MAX_ROWS:,}")
                    ], True
                for field, value in zip(columns, record):
                    if field is not None and value:
                        problems.extend(_cell(shown, rows + 1, field, value, key))  # logical row, as Frictionless and the rules count
                if len(problems) >= MAX_REPORTED:  # a file broken throughout: the first ones say what to fix
                    problems.append(
                        Problem(shown, None, None, f"more problems like the {len(problems)} above are not listed; fix these and validate again")
                    )
                    return problems, True
        except csv.Error as exc:
            too_long = "field larger than field limit" in str(exc)
            what = f"a cell is longer than {limits.MAX_CELL_CHARS:,} characters, the limit" if too_long else f"cannot be read as CSV ({exc})"
            return problems + [Problem(shown, reader.line_num, None, what)], True
    finally:
        csv.field_size_limit(old_limit)
    if rows == 0:
        names = ", ".join(fields)
        problems.append(Problem(shown, None, None, f"has a header but no rows; every table of the package needs at least one row ({names})"))
        return problems, True
    return problems, False


def _cell(shown: str, line: int, field: dict, value: str, key: set[str]):
    name = field["name"]
    kind = field.get("type", "string")
    if len(value) > limits.MAX_CELL_CHARS:
        yield Problem(shown, line, name, f"has {len(value):,} characters; a cell holds at most {limits.MAX_CELL_CHARS:,}")
        return
    bad = _CONTROL.search(value)
    if bad:
        yield Problem(
            shown, line, name, f"contains the control character U+{ord(bad.group()):04X}; only printable text, tabs and line breaks are allowed"
        )
    elif single_line(field, key) and _LINE_BREAK.search(value):
        yield Problem(shown, line, name, "contains a line break or tab; this column takes one line (only free-text columns may span lines)")
    if not value.strip():
        yield Problem(shown, line, name, "is only white space; leave it empty or give the text")
        return
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            return  # not a number at all: Frictionless reports it with the column's type
        if not math.isfinite(number):
            yield Problem(shown, line, name, f"{value!r} is not a finite number; give a number (leave it empty when not reported)")
        elif not _PLAIN_NUMBER.match(value):
            yield Problem(shown, line, name, f"{value!r}: write a number as digits, an optional point and exponent (e.g. -1.5, 2e-3), no '_'")
        elif abs(number) > limits.MAX_NUMBER:
            yield Problem(shown, line, name, f"{value!r} is too large; numbers are at most {limits.MAX_NUMBER:.0e} in size")
        elif number and abs(number) < limits.MIN_NUMBER:
            yield Problem(shown, line, name, f"{value!r} is too small; a number other than 0 is at least {limits.MIN_NUMBER:.0e} in size")
    elif kind == "integer":
        try:
            number = int(value)
        except ValueError:
            return
        if not _PLAIN_NUMBER.match(value):
            yield Problem(shown, line, name, f"{value!r}: write a whole number as digits, no '_'")
        elif abs(number) > limits.MAX_INTEGER:
            yield Problem(shown, line, name, f"{value[:30]!r} is too large; whole numbers are at most {limits.MAX_INTEGER:,} in size")
    if is_url_field(name):
        yield from _urls(shown, line, name, value)


def _urls(shown: str, line: int, name: str, value: str):
    for url in value.split():
        try:
            parts = urlsplit(url)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError as exc:
            yield Problem(shown, line, name, f"{url[:80]!r} is not a well-formed URL ({exc}); give http(s)://host/path")
            continue
        if parts.scheme.lower() not in WEB_SCHEMES or not host:
            yield Problem(shown, line, name, f"{url[:80]!r} is not a web address; only http:// and https:// URLs with a host are allowed")
        for scheme in _EMBEDDED_SCHEME.findall(url):
            if scheme.lower() not in WEB_SCHEMES:
                yield Problem(shown, line, name, f"{url[:80]!r} carries a {scheme}: URL after a separator; only http and https URLs are allowed")
