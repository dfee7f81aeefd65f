"""What people type to write, vote on, discuss and decide a proposal."""

import datetime as dt

from django import forms
from django.core.validators import validate_email
from django.utils import timezone

from practices.charter.fields import MARKDOWN_MAX_CHARS
from practices.dates import PlannedDateField
from practices.models import Membership, Role, Team
from proposals.models import Impact, Stance, Status
from proposals.selectors.access import VOTING_ROLES

MAX_OPTIONS = 12


def _person_label(membership: Membership) -> str:
    user = membership.user
    return user.get_full_name() or user.email


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


def _markdown(label: str, *, rows: int = 5, help_text: str = "Markdown.") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MARKDOWN_MAX_CHARS,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ProposalForm(forms.Form):
    title = forms.CharField(max_length=200)
    impact = forms.ChoiceField(choices=Impact.choices, initial=Impact.MEDIUM)
    approver = PersonChoiceField(queryset=None, help_text="Decides. Usually the lead.")
    contributors = PeopleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Consulted while the proposal is open.",
    )
    informed = PeopleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Told of the outcome by email.",
    )
    informed_emails = forms.CharField(
        label="Also inform (emails)",
        required=False,
        max_length=2000,
        help_text="People outside the team, separated by commas.",
    )
    due_date = PlannedDateField(label="Voting closes on")
    due_time = forms.TimeField(
        label="at",
        initial=dt.time(17, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    background = _markdown("Background", rows=6, help_text="Why decide now? Markdown.")
    relevant_data = _markdown("Relevant data", rows=4, help_text="Numbers, links, incidents.")
    hide_tally = forms.BooleanField(
        label="Hide the tally from each person until they have voted", required=False
    )

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        members = Membership.objects.filter(team=team).select_related("user")
        voters = members.filter(role__in=VOTING_ROLES)
        user_model = Membership._meta.get_field("user").related_model
        self.fields["approver"].queryset = user_model.objects.filter(
            memberships__team=team, memberships__role__in=VOTING_ROLES
        ).order_by("first_name", "email")
        self.fields["contributors"].queryset = self.fields["approver"].queryset
        self.fields["informed"].queryset = user_model.objects.filter(
            memberships__team=team
        ).order_by("first_name", "email")
        self.voter_count = voters.count
        # Editing a proposal whose voting closed keeps its past due date.
        self.fields["due_date"].keep = self.initial.get("due_date")

    def clean(self):
        data = super().clean()
        day, time = data.get("due_date"), data.get("due_time")
        if day and time and day != self.initial.get("due_date") and self.due_at() <= timezone.now():
            self.add_error("due_time", "This time has passed: pick a later one.")
        return data

    def clean_informed_emails(self) -> list[str]:
        raw = self.cleaned_data["informed_emails"]
        emails = [part.strip().lower() for part in raw.replace(";", ",").split(",") if part.strip()]
        for email in emails:
            try:
                validate_email(email)
            except forms.ValidationError:
                raise forms.ValidationError(f"“{email[:80]}” is not an email address.") from None
        if len(emails) > 50:
            raise forms.ValidationError("Inform at most 50 addresses.")
        return list(dict.fromkeys(emails))

    def due_at(self) -> dt.datetime:
        local = dt.datetime.combine(self.cleaned_data["due_date"], self.cleaned_data["due_time"])
        return local.replace(tzinfo=self.team.tzinfo)


class OptionForm(forms.Form):
    title = forms.CharField(label="Option", max_length=200, required=False)
    description = _markdown("Description", rows=3)
    pros = _markdown("Pros", rows=3)
    cons = _markdown("Cons", rows=3)
    cost = forms.CharField(
        label="Cost / effort",
        max_length=200,
        required=False,
        help_text="e.g. 2 engineer-weeks, +€300/month",
    )

    def __init__(self, *args, letter: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "Option A", "Option B"…: as the proposal page names them, and a screen reader
        # tells the title inputs apart.
        if letter:
            self.fields["title"].label = f"Option {letter}"

    def clean(self):
        data = super().clean()
        filled = any(data.get(name) for name in ("description", "pros", "cons", "cost"))
        if filled and not data.get("title"):
            self.add_error("title", "Give this option a title, or empty it completely.")
        return data


class BaseOptionFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None and index < 26:
            kwargs["letter"] = chr(ord("A") + index)
        return kwargs


OptionFormSet = forms.formset_factory(
    OptionForm,
    formset=BaseOptionFormSet,
    extra=1,
    min_num=2,
    max_num=MAX_OPTIONS,
    validate_max=True,
    absolute_max=MAX_OPTIONS + 5,
)


class VoteForm(forms.Form):
    option = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="I prefer")
    stance = forms.ChoiceField(choices=Stance.choices, widget=forms.RadioSelect, label="Stance")
    reason = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to disagree or block.",
    )

    def __init__(self, *args, options, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["option"].choices = [(option.pk, option.title) for option in options]

    def clean(self):
        data = super().clean()
        if (
            data.get("stance") in (Stance.DISAGREE, Stance.BLOCK)
            and not data.get("reason", "").strip()
        ):
            self.add_error("reason", "Say why: a reason is required to disagree or block.")
        return data


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown. Mention someone with @ and the first part of their email, e.g. @sam.",
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class StatusForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("open", "Open"),
            ("withdraw", "Withdraw"),
            ("close", "Close voting"),
            ("reopen", "Reopen voting"),
        ]
    )
    due_date = PlannedDateField(required=False)
    due_time = forms.TimeField(required=False, initial=dt.time(17, 0))

    def clean(self):
        data = super().clean()
        if data.get("action") == "reopen" and not data.get("due_date"):
            self.add_error("due_date", "Pick the new date voting closes.")
        return data


class ActionItemForm(forms.Form):
    text = forms.CharField(label="Action item", max_length=300, required=False)
    owner = PersonChoiceField(queryset=None, required=False, label="Owner")
    due_on = PlannedDateField(label="Due", required=False)

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user_model = Membership._meta.get_field("user").related_model
        self.fields["owner"].queryset = user_model.objects.filter(memberships__team=team)


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(widget=forms.RadioSelect, label="Outcome")
    rationale = forms.CharField(
        max_length=MARKDOWN_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Why this outcome, in a way a newcomer will understand later. Markdown.",
    )
    review_on = PlannedDateField(
        label="Review the decision on",
        required=False,
        help_text="Optional. The driver is reminded, and the next retro lists it.",
    )

    def __init__(self, *args, options, blocks, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [
            *[(str(option.pk), f"Decide for: {option.title}") for option in options],
            ("decline", "Decline the proposal"),
        ]
        self.block_fields = []
        for vote in blocks:
            name = f"block_{vote.voter_id}"
            voter = vote.voter.get_full_name() or vote.voter.email
            self.fields[name] = forms.CharField(
                label=f"Your answer to {voter}'s block",
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=f"They said: “{vote.reason[:300]}”",
            )
            self.block_fields.append(name)

    def option_id(self) -> int | None:
        outcome = self.cleaned_data["outcome"]
        return None if outcome == "decline" else int(outcome)

    def block_answers(self) -> dict[str, str]:
        return {name.removeprefix("block_"): self.cleaned_data[name] for name in self.block_fields}


class ProposalFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    q = forms.CharField(required=False, max_length=200, label="Search")


def role_can_vote(role: str) -> bool:
    return role in (Role.LEAD, Role.MEMBER)
