"""Links that keep the page's query string: pagers and filters change one key, keep the rest."""

from django import template

register = template.Library()


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
