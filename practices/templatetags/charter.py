"""Filters that let the charter template ask a section spec how to show a section, and
the other ways to change a section that apps offer in its editor."""

from django import template

from practices.registries import charter_action_list

register = template.Library()


@register.filter
def shown(spec, section):
    return spec.shown(section.data)


@register.filter
def table(spec, section):
    return spec.table(section.data)


@register.filter
def summary(spec, section):
    return spec.summary(spec.with_defaults(section.data))


@register.simple_tag
def charter_actions():
    """The registered charter actions (``practices.registries``): a tag, not a view's
    context, so that every page rendering the section editor shows them."""
    return charter_action_list()
