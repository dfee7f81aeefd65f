"""How every form field is laid out: label, input, help text, then errors, in one wrapper."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    field_template_name = "forms/field.html"
