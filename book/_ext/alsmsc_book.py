"""Sphinx glue between the pipeline's generated outputs and the book.

Hand-written because no library does these three things:

1. Dependencies for cross-document glue. MyST-NB resolves ``{glue}`doc.ipynb::key``` when a page is written but does
   not tell Sphinx that the page depends on ``doc.ipynb``; without this, a chapter would keep a stale number after
   the notebook it pastes from is re-run.
2. A ``chart`` directive: a numbered figure around a glued chart from another document, with a caption, the dataset
   version it was computed from, and a download link to the chart's static SVG.
3. Offline charts: Altair's HTML loads vega from a CDN unless ``VEGA_DEBUG`` says the libraries are present. We ship
   vl-convert's bundle of vega, vega-lite and vega-embed in ``_static`` and add it only to pages that show a chart.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from myst_nb.ext.glue.utils import PendingGlueReference, PendingGlueReferenceError, create_pending_glue_ref
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)
BUNDLE = "alsmsc-vega.js"


def note_glue_dependencies(app, doctree) -> None:
    env = app.env
    for node in doctree.findall(PendingGlueReference):
        env.note_dependency(str(env.doc2path(node.refdoc)))


def _svg_for(doc: str, key: str) -> str:
    """_generated/notebooks/NAME.ipynb + key -> _generated/NAME/figures/key.svg (the layout Outputs.chart writes)."""
    path = Path(doc)
    return str(path.parent.parent / path.stem / "figures" / f"{key}.svg")


class ChartDirective(SphinxDirective):
    """A numbered figure whose body is a chart glued in another (executed) notebook."""

    required_arguments = 1  # path/to/notebook.ipynb::key
    has_content = True
    option_spec = {"name": directives.unchanged}

    def run(self):
        target = self.arguments[0]
        if "::" not in target:
            return [self.state.document.reporter.warning(f"chart needs `notebook.ipynb::key`, got {target!r}", line=self.lineno)]
        doc, key = target.split("::", 1)
        source, line = self.get_source_info()
        try:
            body = create_pending_glue_ref(self.state.document, source, line, doc, key)
            version = create_pending_glue_ref(self.state.document, source, line, doc, "dataset_version", inline=True, gtype="text", fmt_spec="")
        except PendingGlueReferenceError as exc:
            return [self.state.document.reporter.warning(str(exc), line=self.lineno)]
        figure = nodes.figure(classes=["alsmsc-figure"])
        figure += body
        parsed = nodes.Element()
        self.state.nested_parse(self.content, self.content_offset, parsed)
        if not parsed.children or not isinstance(parsed[0], nodes.paragraph):
            return [self.state.document.reporter.warning("chart needs a caption paragraph as its content", line=self.lineno)]
        first = parsed[0]
        figure += nodes.caption(first.rawsource, "", *first.children)
        svg = _svg_for(doc, key)
        provenance = nodes.paragraph(classes=["alsmsc-provenance"])
        provenance += nodes.Text("Computed from dataset version ")
        provenance += version
        provenance += nodes.Text(" by the analysis notebook; static copy: ")
        provenance += addnodes.download_reference("", "", nodes.literal("SVG", "SVG"), reftarget=svg, refdoc=self.env.docname, refexplicit=True)
        provenance += nodes.Text(".")
        figure += nodes.legend("", *parsed.children[1:], provenance)
        self.add_name(figure)
        return [figure]


def prepare_vega_bundle(app) -> None:
    import altair as alt
    import vl_convert as vlc

    # The bundle depends only on the vl-convert version and takes ~3 s to make, so it lives in the user's cache
    # (one folder per version) and survives `alsmsc clean`.
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = cache / "alsmsc" / f"vega-bundle-vl-convert-{vlc.__version__}"
    bundle = folder / BUNDLE
    if not bundle.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        stamp = f"/* vega, vega-lite and vega-embed bundled by vl-convert {vlc.__version__} */\n"
        # A function scope keeps the bundle's top-level names out of Sphinx's globals; it exports window.vegaEmbed.
        tmp = bundle.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(stamp + "(function () {\n" + vlc.javascript_bundle() + "\n})();\n", encoding="utf-8")
        os.replace(tmp, bundle)
    if str(folder) not in app.config.html_static_path:
        app.config.html_static_path.append(str(folder))
    app.config._alsmsc_vega_debug = json.dumps(
        {"vega_version": alt.VEGA_VERSION, "vegalite_version": alt.VEGALITE_VERSION, "vegaembed_version": alt.VEGAEMBED_VERSION}
    )


def add_vega_to_chart_pages(app, pagename, templatename, context, doctree) -> None:
    # sphinx-thebe (loaded by Jupyter Book even with thebe off) registers its `const THEBE_JS_URL` script each time
    # documents are read, so a page can carry it twice and the browser throws on the redeclared const.
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        # Inline scripts are registered with filename None or "" depending on the caller: compare their bodies.
        key = (
            ("inline", attributes["body"]) if "body" in attributes else (getattr(script, "filename", str(script)), tuple(sorted(attributes.items())))
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    if "script_files" in context:
        context["script_files"][:] = unique
    if "alsmsc-chart" in context.get("body", ""):
        app.add_js_file(None, body=f"var VEGA_DEBUG = {app.config._alsmsc_vega_debug};", priority=400)
        app.add_js_file(BUNDLE, priority=401)


def setup(app):
    app.connect("doctree-read", note_glue_dependencies)
    app.connect("builder-inited", prepare_vega_bundle)
    app.connect("html-page-context", add_vega_to_chart_pages)
    app.add_directive("chart", ChartDirective)
    app.add_css_file("alsmsc.css")
    app.add_js_file("alsmsc-sort.js")
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
