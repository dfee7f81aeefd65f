"""What people type on the retro pages."""

import datetime as dt
import zoneinfo
from collections.abc import Callable

from django import forms
from django.utils import timezone
from django.utils.functional import cached_property

from practices.dates import PlannedDateField, PlannedDateTimeField
from practices.models import RetroCardGroup, RetroColumn
from practices.retros.services import REVIEW_OUTCOMES
from practices.single_line import OneLineField
from practices.web import person_name


class CardForm(forms.Form):
    """A card for one column. Its ids are its own: the board also holds the action form."""

    column = forms.ChoiceField(
        choices=RetroColumn.choices, initial=RetroColumn.WENT_WELL, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label="Card",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "One thought per card"}),
    )
    anonymous = forms.BooleanField(
        label="Post anonymously",
        required=False,
        help_text="Nobody sees who wrote it, leads included; it is stored without your name.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, auto_id="card-%s", **kwargs)


class GroupForm(forms.Form):
    group = forms.ModelChoiceField(
        queryset=RetroCardGroup.objects.none(), required=False, empty_label="No group"
    )
    new_title = OneLineField(label="or a new group", max_length=120, required=False)

    def __init__(self, *args, retro, column: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = RetroCardGroup.objects.filter(retro=retro, column=column)


class ActionItemForm(forms.Form):
    text = OneLineField(label="Action", max_length=300)
    owner = forms.TypedChoiceField(label="Owner", coerce=int, required=False, empty_value=None)
    due_date = PlannedDateField(label="Due", required=False)

    def __init__(self, *args, owners: Callable[[], list], **kwargs) -> None:
        """``owners`` is asked for the people only when the form is shown or checked: the
        board's updates build the form but rarely show it."""
        # Own ids: both forms have a ``text`` field, and ``id_text`` twice on the board
        # made the "Action" label focus the card box.
        super().__init__(*args, auto_id="action-%s", **kwargs)
        self._owners = owners
        self.fields["owner"].choices = self._owner_choices

    @cached_property
    def owners(self) -> dict:
        return {user.pk: user for user in self._owners()}

    def _owner_choices(self) -> list[tuple]:
        people = [(pk, person_name(user)) for pk, user in self.owners.items()]
        return [("", "Nobody yet"), *people]

    def clean_owner(self):
        pk = self.cleaned_data["owner"]
        return self.owners.get(pk) if pk is not None else None


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(key, key) for key in REVIEW_OUTCOMES])


class SkipForm(forms.Form):
    skipped = forms.BooleanField(required=False)


class MoveForm(forms.Form):
    """A new local start time, read in the retro's own time zone."""

    starts_at = PlannedDateTimeField(label="New start (local time)")

    def __init__(self, *args, time_zone: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tzinfo = zoneinfo.ZoneInfo(time_zone)
        self.fields["starts_at"].help_text = f"In {time_zone}."

    def clean_starts_at(self) -> dt.datetime:
        # Django read the value in the current zone; the lead meant the retro's zone.
        typed = timezone.localtime(self.cleaned_data["starts_at"]).replace(tzinfo=None)
        return typed.replace(tzinfo=self.tzinfo).astimezone(dt.UTC)
