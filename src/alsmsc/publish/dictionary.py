"""The data dictionary page, generated from the Table Schemas in datapackage.json."""

from __future__ import annotations

from alsmsc import dataset
from alsmsc.files.atomic import write_if_changed
from alsmsc.files.layout import Layout
from alsmsc.formats.escape import code
from alsmsc.formats.escape import markdown as md


def _constraints(field: dict) -> str:
    """Allowed values as Markdown: lists and bounds escaped as text, a pattern as a code span."""
    cons = field.get("constraints", {})
    parts = []
    if "x-list-of" in field:
        parts.append("list of: " + ", ".join(md(v) for v in field["x-list-of"]))
    elif "enum" in cons:
        parts.append("one of: " + ", ".join(md(v) for v in cons["enum"]))
    elif "pattern" in cons:
        parts.append(f"pattern {code(cons['pattern'])}")
    if "minimum" in cons:
        parts.append(f"≥ {md(cons['minimum'])}")
    if "maximum" in cons:
        parts.append(f"≤ {md(cons['maximum'])}")
    return "; ".join(parts)


def render(desc: dict) -> str:
    """Every value of the descriptor passes formats.escape: a title or description is shown as written, never run as
    HTML or MyST (a ``{raw} html`` block in a description is text on the page)."""
    out = [f"Data package {code(desc['name'])}, version **{md(desc.get('version', '?'))}**.", ""]
    for res in desc["resources"]:
        schema = res["schema"]
        out += [f"## {code(res['path'])} — {md(res.get('title', res['name']))}", "", md(res.get("description", "")), ""]
        keys = [f"primary key: {code(' + '.join(schema.get('primaryKey', [])))}"] if schema.get("primaryKey") else []
        for fk in schema.get("foreignKeys", []):
            keys.append(f"{code(', '.join(fk['fields']))} → {code(fk['reference']['resource'] + '.' + ', '.join(fk['reference']['fields']))}")
        if keys:
            out += ["Keys: " + "; ".join(keys) + ".", ""]
        out += ["| column | type | required | allowed values | description |", "|---|---|---|---|---|"]
        for f in schema["fields"]:
            required = "yes" if f.get("constraints", {}).get("required") else ""
            out.append(f"| {code(f['name'])} | {md(f.get('type', 'string'))} | {required} | {_constraints(f)} | {md(f.get('description', ''))} |")
        out.append("")
    return "\n".join(out)


def write(layout: Layout) -> None:
    write_if_changed(layout.generated / "data_dictionary.md", render(dataset.read_descriptor(layout.datapackage)))
