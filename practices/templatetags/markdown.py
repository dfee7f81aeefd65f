"""``{{ text|markdown }}``: user markdown, rendered and sanitised on the server."""

from django import template

from practices.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(source: str):
    return render_markdown(source or "")
