"""Tags for the tickets page: sortable column headers (``links`` keeps its filters)."""

from urllib.parse import urlsplit

from django import template

from practices.jira.selectors import DEFAULT_SORT
from practices.templatetags.links import query_with

register = template.Library()

# Dates read best newest first; names and keys from A.
_DESCENDING_FIRST = {"updated", "created"}


@register.simple_tag(takes_context=True)
def sort_query(context, column: str) -> str:
    """The query string that sorts by ``column``, or reverses it if it is the sort now."""
    current = context["request"].GET.get("sort") or DEFAULT_SORT
    if current == column:
        wanted = f"-{column}"
    elif current == f"-{column}":
        wanted = column
    else:
        wanted = f"-{column}" if column in _DESCENDING_FIRST else column
    return query_with(context, sort=wanted)


@register.simple_tag(takes_context=True)
def sort_state(context, column: str) -> str:
    """aria-sort's value for a column header: ascending, descending or none."""
    current = context["request"].GET.get("sort") or DEFAULT_SORT
    if current == column:
        return "ascending"
    if current == f"-{column}":
        return "descending"
    return "none"


@register.filter
def host(url: str) -> str:
    return urlsplit(url).netloc or url
