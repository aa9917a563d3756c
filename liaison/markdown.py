"""Markdown written by users (proposals, comments, minutes) rendered to HTML that is safe to show.

python-markdown turns the text into HTML (and lets raw HTML through, as Markdown does); nh3 then
keeps only a short list of formatting tags: no script or style (their content goes too), no
event-handler or style attributes, no images (they would load from anywhere), and links only to
http, https and mailto, each with rel="noopener noreferrer".
"""
from __future__ import annotations

import functools

import markdown as _markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins",
    "blockquote", "code", "pre", "ul", "ol", "li", "dl", "dt", "dd", "a", "table", "thead", "tbody", "tr", "th",
    "td", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["tables", "fenced_code", "sane_lists", "nl2br"]


def sanitise(html: str) -> str:
    """Keep only the allowed tags and attributes of an HTML fragment."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render(text: str | None) -> Markup:
    """Markdown → sanitised HTML, marked safe for Jinja (the only place user HTML becomes Markup)."""
    if not text:
        return Markup("")
    return Markup(_render(text))


@functools.lru_cache(maxsize=4096)
def _render(text: str) -> str:
    """The same text always gives the same HTML: pages that show saved texts again (minutes, proposals) reuse it."""
    return sanitise(_markdown.markdown(text, extensions=EXTENSIONS, output_format="html"))
