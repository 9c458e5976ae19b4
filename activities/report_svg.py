"""A matplotlib `Figure` as an `<svg>` element to put straight into an HTML page.

The report is one file that must open with no network (an attachment, an archive copy), so
charts are inline SVG, not images to fetch or scripts to run. SVG keeps the text as `<text>`
(selectable, read by screen readers, searchable with Ctrl+F) and stays small. matplotlib
writes a standalone SVG document; to sit several in one page each loses what only a
standalone file needs (XML prolog, DOCTYPE, RDF metadata: every `http://` in the output),
gets ids prefixed with its own key (matplotlib numbers `patch_1`, `axes_1` afresh in every
figure, and clip paths are looked up by id across the whole page), and gains a `<title>` and
`<desc>` that `aria-labelledby` points at.

Rendering uses only matplotlib's object API (`Figure`, never pyplot), so no global figure
manager or GUI backend is involved and a worker process can render reports side by side. The
rc settings a figure reads (fonts, colours, SVG text) are process-wide, so they are set by
`rc_context` under a lock: two threads never see each other's settings half restored.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from typing import Any

import matplotlib
from cycler import cycler
from markupsafe import Markup, escape
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

# Read while a figure is built and its SVG written: text as <text> (not glyph paths), a fixed hash
# salt so the same figures give the same file, no mathtext (a `$` in a code is just a dollar sign).
FIGURE_SETTINGS: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "complaintflow-report",
    "text.parse_math": False,
    # a short font list (it is repeated on every <text>) that every browser can satisfy locally,
    # and colour-blind-safe colours (Okabe-Ito) in the order series use them
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9"]),
}
_RENDERING = threading.Lock()

_TAG = re.compile(r"<[^>]*>")  # text content has < and > escaped, so this only meets real tags
_ID = re.compile(r'\bid="([^"]*)"')
_URL = re.compile(r"url\(#([^)]*)\)")
_HREF = re.compile(r'\b(?:xlink:)?href="#([^"]*)"')
_XMLNS = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


def draw_svg(
    draw: Callable[[Figure], None], size: tuple[float, float], key: str, title: str, description: str
) -> Markup:
    """The figure `draw` fills in (`size` in inches) as an inline `<svg>`: ids under `key`, labelled."""
    buffer = io.StringIO()
    with _RENDERING, matplotlib.rc_context(FIGURE_SETTINGS):
        figure = Figure(figsize=size, layout="constrained")
        draw(figure)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return inline_svg(buffer.getvalue(), key, title, description)


def inline_svg(document: str, key: str, title: str, description: str) -> Markup:
    """A standalone SVG document made fit to share a page with others (see the module doc)."""
    start = document.index("<svg")
    body = re.sub(r"\s*<metadata>.*?</metadata>", "", document[start:], count=1, flags=re.S)

    def prefix(tag: re.Match[str]) -> str:
        text = _ID.sub(lambda m: f'id="{key}-{m[1]}"', tag[0])
        text = _URL.sub(lambda m: f"url(#{key}-{m[1]})", text)
        return _HREF.sub(lambda m: f'href="#{key}-{m[1]}"', text)

    body = _TAG.sub(prefix, body)
    opening = _TAG.search(body)
    assert opening is not None and opening[0].startswith("<svg")
    tag = _XMLNS.sub("", opening[0])
    tag = tag[:-1] + f' class="chart" role="img" aria-labelledby="{key}-title {key}-desc">'
    labels = f'<title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(description)}</desc>'
    return Markup(tag + labels + body[opening.end() :].strip())
