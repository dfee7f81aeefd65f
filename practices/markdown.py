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


def markdown_to_text(source: str) -> str:
    """``source`` as clean plain text, for an email's text part: the words without the
    marks (``**only after**`` reads "only after"), lists as "- " or "1. " lines, a
    quote behind "> ", a table a row a line, a link as its text and its address."""
    lines: list[str] = []
    quotes = 0
    numbers: list[int | None] = []  # per open list: its next number, None if bulleted
    item_start = False
    row: list[str] | None = None
    for token in _parser().parse(source or ""):
        kind = token.type
        if kind == "bullet_list_open":
            numbers.append(None)
        elif kind == "ordered_list_open":
            numbers.append(int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
            _blank(lines)
        elif kind == "list_item_open":
            item_start = True
        elif kind == "blockquote_open":
            quotes += 1
        elif kind == "blockquote_close":
            quotes -= 1
        elif kind in ("paragraph_close", "heading_close", "table_close") and not numbers:
            _blank(lines)
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            lines.append(" | ".join(row or []))
            row = None
        elif kind in ("fence", "code_block"):
            lines += [f"    {line}" for line in token.content.rstrip("\n").split("\n")]
            _blank(lines)
        elif kind == "hr":
            lines += ["---", ""]
        elif kind == "inline":
            text = _inline_text(token.children or [])
            if row is not None:
                row.append(text)
                continue
            indent = "> " * quotes + "  " * max(0, len(numbers) - 1)
            if item_start:
                number = numbers[-1]
                if number is not None:
                    numbers[-1] = number + 1
                text, item_start = ("- " if number is None else f"{number}. ") + text, False
            lines += [indent + line for line in text.split("\n")]
    return "\n".join(lines).strip()


def _blank(lines: list[str]) -> None:
    if lines and lines[-1] != "":
        lines.append("")


def _inline_text(children) -> str:
    parts, links = [], []
    for child in children:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "link_open":
            links.append((len(parts), str(child.attrGet("href") or "")))
        elif child.type == "link_close" and links:
            start, url = links.pop()
            if url and "".join(parts[start:]) != url:
                parts.append(f" ({url})")
    return "".join(parts)
