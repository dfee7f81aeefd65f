"""Markdown written by users, rendered and sanitised on the server.

markdown-it-py renders CommonMark (with tables and strikethrough) with raw HTML
switched off; nh3 then keeps only an allow-list of tags and attributes and only
http(s) and mailto links, so no user text can run script in a reader's browser.
"""

from functools import cache, lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(source: str) -> SafeString:
    """HTML for ``source``, safe to put in a page as it is."""
    if not source:
        return mark_safe("")  # nosec B308 B703 - empty string
    return _render(source)


# The output depends on the text alone, and a busy page (a proposal with 200 comments)
# renders the same texts on every request: keep the most recent ones per process.
@lru_cache(maxsize=4096)
def _render(source: str) -> SafeString:
    html = _parser().render(source)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308  # nosec B308 B703 - sanitised by nh3 above
