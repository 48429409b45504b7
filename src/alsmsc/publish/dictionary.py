"""The data dictionary page, generated from the Table Schemas in datapackage.json."""

from __future__ import annotations

from alsmsc import dataset
from alsmsc.files.atomic import write_if_changed
from alsmsc.files.layout import Layout


def _cell(text) -> str:
    """Escape text for a Markdown pipe-table cell, so descriptions are shown as written."""
    text = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("*", "\\*").replace("_", "\\_")
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _constraints(field: dict) -> str:
    cons = field.get("constraints", {})
    parts = []
    if "x-list-of" in field:
        parts.append("list of: " + ", ".join(field["x-list-of"]))
    elif "enum" in cons:
        parts.append("one of: " + ", ".join(cons["enum"]))
    elif "pattern" in cons:
        parts.append(f"pattern `{cons['pattern']}`")
    if "minimum" in cons:
        parts.append(f"≥ {cons['minimum']}")
    if "maximum" in cons:
        parts.append(f"≤ {cons['maximum']}")
    return "; ".join(parts)


def render(desc: dict) -> str:
    out = [f"Data package `{desc['name']}`, version **{desc.get('version', '?')}**.", ""]
    for res in desc["resources"]:
        schema = res["schema"]
        out += [f"## `{res['path']}` — {res.get('title', res['name'])}", "", res.get("description", ""), ""]
        keys = [f"primary key: `{' + '.join(schema.get('primaryKey', []))}`"] if schema.get("primaryKey") else []
        for fk in schema.get("foreignKeys", []):
            keys.append(f"`{', '.join(fk['fields'])}` → `{fk['reference']['resource']}.{', '.join(fk['reference']['fields'])}`")
        if keys:
            out += ["Keys: " + "; ".join(keys) + ".", ""]
        out += ["| column | type | required | allowed values | description |", "|---|---|---|---|---|"]
        for f in schema["fields"]:
            cons = _constraints(f)
            required = "yes" if f.get("constraints", {}).get("required") else ""
            allowed = _cell(cons) if "pattern" not in cons else cons.replace("|", "\\|")
            out.append(f"| `{f['name']}` | {f.get('type', 'string')} | {required} | {allowed} | {_cell(f.get('description', ''))} |")
        out.append("")
    return "\n".join(out)


def write(layout: Layout) -> None:
    write_if_changed(layout.generated / "data_dictionary.md", render(dataset.read_descriptor(layout.datapackage)))
