"""What people type to write, vote on, discuss and decide a proposal."""

import datetime as dt
import re

from django import forms
from django.core.validators import validate_email
from django.utils import timezone

from practices.charter.fields import MARKDOWN_MAX_CHARS
from practices.dates import PlannedDateField
from practices.models import CONTRIBUTING_ROLES, Membership, Team
from practices.single_line import OneLineField
from practices.web import person_name
from proposals.models import DUE_TIME, Impact, ObjectionKind, Status
from proposals.services.inputs import ActionItemInput, OptionInput

MAX_OPTIONS = 12


class PersonChoiceField(forms.ModelChoiceField):
    """One person of the team; the empty choice says what it means, not "---------"."""

    def __init__(self, *args, required: bool = True, **kwargs) -> None:
        kwargs.setdefault("empty_label", "Choose someone" if required else "Nobody yet")
        super().__init__(*args, required=required, **kwargs)

    def label_from_instance(self, obj):
        return person_name(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return person_name(obj)


def _markdown(label: str, *, rows: int = 5, help_text: str = "Markdown.") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MARKDOWN_MAX_CHARS,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ProposalForm(forms.Form):
    title = OneLineField(max_length=200)
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
    informed_emails = OneLineField(
        label="Also inform (emails)",
        required=False,
        max_length=2000,
        help_text="People outside the team, separated by commas.",
    )
    due_date = PlannedDateField(label="Voting closes on")
    due_time = forms.TimeField(
        label="at",
        initial=DUE_TIME,
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
        voters = members.filter(role__in=CONTRIBUTING_ROLES)
        user_model = Membership._meta.get_field("user").related_model
        self.fields["approver"].queryset = user_model.objects.filter(
            memberships__team=team, memberships__role__in=CONTRIBUTING_ROLES
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
        # Commas, semicolons or spaces: a list pasted one address a line arrives folded.
        emails = [part.lower() for part in re.split(r"[\s,;]+", raw) if part]
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

    @staticmethod
    def initial_for(proposal) -> dict:
        """The form's values for an existing proposal (its team already attached)."""
        local_due = timezone.localtime(proposal.due_at, proposal.team.tzinfo)
        return {
            "title": proposal.title,
            "impact": proposal.impact,
            "approver": proposal.approver_id,
            "contributors": list(proposal.contributors.values_list("pk", flat=True)),
            "informed": list(proposal.informed.values_list("pk", flat=True)),
            "informed_emails": ", ".join(proposal.informed_emails),
            "due_date": local_due.date(),
            "due_time": local_due.time(),
            "background": proposal.background,
            "relevant_data": proposal.relevant_data,
            "hide_tally": proposal.hide_tally,
        }

    def service_fields(self) -> dict:
        """What ``proposal_create`` and ``proposal_update`` both take from the form."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "approver": data["approver"],
            "due_at": self.due_at(),
            "impact": data["impact"],
            "contributors": list(data["contributors"]),
            "informed": list(data["informed"]),
            "informed_emails": data["informed_emails"],
            "background": data["background"],
            "relevant_data": data["relevant_data"],
            "hide_tally": data["hide_tally"],
        }


class OptionForm(forms.Form):
    title = OneLineField(label="Option", max_length=200, required=False)
    description = _markdown("Description", rows=3)
    pros = _markdown("Pros", rows=3)
    cons = _markdown("Cons", rows=3)
    cost = OneLineField(
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


def option_inputs(formset) -> list[OptionInput]:
    """The options a valid formset holds: rows with a title, not marked deleted."""
    return [
        OptionInput(**{k: v for k, v in row.items() if k != "DELETE"})
        for row in formset.cleaned_data
        if row and row.get("title") and not row.get("DELETE")
    ]


NO_PREFERENCE = "none"


class VoteForm(forms.Form):
    """Which option a person prefers (or none), and their objections to any option.

    Per option ``objection_<id>`` (none, disagree, block) and ``reason_<id>``: a person
    may prefer A and block B in one vote, and each objection carries its reason.
    """

    option = forms.ChoiceField(widget=forms.RadioSelect, label="I prefer")
    reason = forms.CharField(
        label="Why you prefer it (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, options, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options = list(options)
        self.fields["option"].choices = [
            *[(str(option.pk), option.title) for option in self.options],
            (NO_PREFERENCE, "No preference"),
        ]
        self.objection_rows = []
        for option in self.options:
            kind, reason = f"objection_{option.pk}", f"reason_{option.pk}"
            self.fields[kind] = forms.ChoiceField(
                label=f"Objection to {option.title}",
                choices=[("", "No objection"), *ObjectionKind.choices],
                required=False,
            )
            self.fields[reason] = forms.CharField(
                label=f"Why you object to {option.title}",
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Required to disagree or block.",
            )
            self.objection_rows.append((option, kind, reason))

    @classmethod
    def initial_for(cls, my_vote) -> dict | None:
        """The form's values for a vote already cast (``selectors.MyVote``)."""
        if my_vote is None:
            return None
        initial = {
            "option": str(my_vote.option_id) if my_vote.option_id else NO_PREFERENCE,
            "reason": my_vote.reason,
        }
        for option_id, objection in my_vote.objections.items():
            initial[f"objection_{option_id}"] = objection.kind
            initial[f"reason_{option_id}"] = objection.reason
        return initial

    def objection_fields(self):
        """(option, kind field, reason field) for each option, bound, for the template."""
        return [(option, self[kind], self[reason]) for option, kind, reason in self.objection_rows]

    def clean(self):
        data = super().clean()
        preferred = self.option_id() if "option" in data else None
        for option, kind, reason in self.objection_rows:
            if not data.get(kind):
                continue
            if option.pk == preferred:
                self.add_error(kind, "You prefer this option: you cannot object to it too.")
            elif not data.get(reason, "").strip():
                self.add_error(reason, "Say why: a reason is required to disagree or block.")
        return data

    def option_id(self) -> int | None:
        value = self.cleaned_data["option"]
        return None if value == NO_PREFERENCE else int(value)

    def objections(self) -> list[tuple[int, str, str]]:
        """(option id, kind, reason) of each objection made."""
        return [
            (option.pk, self.cleaned_data[kind], self.cleaned_data[reason])
            for option, kind, reason in self.objection_rows
            if self.cleaned_data.get(kind)
        ]


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
    due_time = forms.TimeField(required=False, initial=DUE_TIME)

    def clean(self):
        data = super().clean()
        if data.get("action") == "reopen" and not data.get("due_date"):
            self.add_error("due_date", "Pick the new date voting closes.")
        return data


class ActionItemForm(forms.Form):
    text = OneLineField(label="Action item", max_length=300, required=False)
    owner = PersonChoiceField(queryset=None, required=False, label="Owner")
    due_on = PlannedDateField(label="Due", required=False)

    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        user_model = Membership._meta.get_field("user").related_model
        self.fields["owner"].queryset = user_model.objects.filter(memberships__team=team)


# Empty rows for action items on the decide form; a decision rarely needs more at once.
ACTION_ITEM_ROWS = 4


def action_item_forms(post, team: Team) -> list[ActionItemForm]:
    return [ActionItemForm(post, team=team, prefix=f"item{i}") for i in range(ACTION_ITEM_ROWS)]


def action_item_inputs(item_forms: list[ActionItemForm]) -> list[ActionItemInput]:
    """The valid forms' action items, those with a text."""
    return [ActionItemInput(**f.cleaned_data) for f in item_forms if f.cleaned_data.get("text")]


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
        titles = {option.pk: option.title for option in options}
        self.block_fields = []
        for block in blocks:
            name = f"block_{block.voter_id}_{block.option_id}"
            self.fields[name] = forms.CharField(
                label=f"Your answer to {block.voter_name}'s block of “{titles[block.option_id]}”",
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=f"They said: “{block.reason[:300]}”",
            )
            self.block_fields.append((name, block))

    def option_id(self) -> int | None:
        outcome = self.cleaned_data["outcome"]
        return None if outcome == "decline" else int(outcome)

    def block_answer_fields(self) -> list:
        """The bound answer field of each block, for the template."""
        return [self[name] for name, _block in self.block_fields]

    def block_answers(self) -> dict[str, str]:
        """The answers by ``block_key``, as ``proposal_decide`` takes them."""
        return {block.key: self.cleaned_data[name] for name, block in self.block_fields}


class ProposalFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *Status.choices], required=False)
    q = OneLineField(required=False, max_length=200, label="Search")
