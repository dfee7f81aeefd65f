"""Tags for the tickets page: links that keep its filters, and sortable column headers."""

from urllib.parse import urlsplit

from django import template

from practices.jira.selectors import DEFAULT_SORT

register = template.Library()

# Dates read best newest first; names and keys from A.
_DESCENDING_FIRST = {"updated", "created"}


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The page's query string with ``changes``; an empty value drops the key.

    The page number always goes unless given: new filters start at page one.
    """
    params = context["request"].GET.copy()
    params.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


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
