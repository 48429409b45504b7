"""Text from the data on its way to a page: every value passes one of these, nothing is pasted raw. In the formats
layer so that every layer that writes HTML or Markdown (analyses draw the PRISMA diagram) uses the same two functions."""

from __future__ import annotations

import html as _html
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|:~^$&=\"'])")


def html(value) -> str:
    """Text for HTML (element content and attribute values)."""
    return _html.escape("" if value is None else str(value), quote=True)


def markdown(value) -> str:
    """Text for MyST Markdown: every punctuation character that could start markup is backslash-escaped (CommonMark
    allows a backslash before any ASCII punctuation), so data can never become a role, directive, link or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", "" if value is None else str(value)).replace("\n", " ")


def code(value) -> str:
    """Text as an inline code span, shown verbatim and never parsed: the fence is longer than any run of backticks in
    the text (CommonMark's rule), and ``|`` is escaped so the span can sit in a pipe-table cell."""
    text = ("" if value is None else str(value)).replace("\n", " ").replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A CSV cell that a spreadsheet will not run as a formula (OWASP "CSV injection"): text starting with = + - @ tab
    or CR gets a leading apostrophe, which spreadsheets show as text. Numbers, including negative ones written as
    text, are left as they are: they are not formulas."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value
