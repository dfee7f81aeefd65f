from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key) -> str:
    """``mapping[key]`` for JSON dicts, whose keys are strings."""
    return (mapping or {}).get(str(key), "")
