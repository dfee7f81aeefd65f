"""Filters that let the charter template ask a section spec how to show a section."""

from django import template

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
