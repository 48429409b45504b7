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
