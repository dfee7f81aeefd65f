"""``{{ user|person }}``: a person's name by the one display rule (``practices.web``)."""

from django import template

from practices.web import person_name

register = template.Library()


@register.filter(name="person")
def person_filter(user) -> str:
    return person_name(user or None, nobody="")
