"""Form fields that also know how a charter page shows and diffs their value."""

import datetime as dt

from django import forms

from practices.single_line import OneLineField

MARKDOWN_MAX_CHARS = 20_000


class MarkdownField(forms.CharField):
    """Prose written in markdown; rendered and sanitised when shown."""

    def __init__(self, *, rows: int = 5, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MARKDOWN_MAX_CHARS)
        kwargs.setdefault("help_text", "Markdown.")
        super().__init__(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class QuantityField(forms.IntegerField):
    """A whole number with a unit, shown as "14 days"."""

    def __init__(self, *, unit: str, **kwargs) -> None:
        self.unit = unit
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is not None and high is not None:
            message = f"Pick a whole number of {unit} from {low} to {high}."
            kwargs.setdefault("error_messages", {})
            for key in ("min_value", "max_value", "invalid"):
                kwargs["error_messages"].setdefault(key, message)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "numeric")

    def describe(self, value: int | None) -> str:
        if value is None:
            return ""
        unit = self.unit if value != 1 else self.unit.removesuffix("s")
        return f"{value} {unit}"


class ListField(OneLineField):
    """A comma-separated list of short names, stored as a list."""

    def __init__(self, *, max_items: int = 20, item_max_length: int = 40, **kwargs) -> None:
        self.max_items = max_items
        self.item_max_length = item_max_length
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("help_text", "Separate with commas.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def clean(self, value):
        text = super().clean(value)
        items = [item.strip() for item in text.split(",") if item.strip()]
        if len(items) > self.max_items:
            raise forms.ValidationError(f"List at most {self.max_items} entries.")
        too_long = [item for item in items if len(item) > self.item_max_length]
        if too_long:
            raise forms.ValidationError(
                f"Keep each entry under {self.item_max_length} characters: “{too_long[0][:60]}”."
            )
        return list(dict.fromkeys(items))


def to_json(value):
    """A cleaned form value as JSON-friendly data."""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class NativeDateInput(forms.DateInput):
    """The browser's date picker; it needs ISO dates whatever the site's language."""

    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
