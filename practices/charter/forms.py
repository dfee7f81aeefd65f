"""What a lead may type into each charter section, and the rules it must follow."""

from django import forms

from practices.charter.fields import ListField, MarkdownField, QuantityField
from practices.dates import PlannedDateField, date_check
from practices.models import RETRO_LONGEST_MINUTES, validate_time_zone
from practices.single_line import OneLineField

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
MAX_ROWS = 50


class SectionForm(forms.Form):
    """Fields every section form shares: the version it was opened at, and why it changes."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    message = OneLineField(
        label="Why this change (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. agreed in the retro of 12 March"}),
    )

    META_FIELDS = ("version", "message")

    def content_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.META_FIELDS]


class MethodologyForm(SectionForm):
    iteration_length_days = QuantityField(
        label="Iteration length", unit="days", min_value=1, max_value=42,
        help_text="From 1 to 42 days.",
    )  # fmt: skip
    planning = MarkdownField(label="Planning", help_text="How an iteration is planned. Markdown.")
    estimation = MarkdownField(
        label="Estimation", help_text="What gets estimated, and how. Markdown."
    )
    mid_iteration_changes = forms.ChoiceField(
        label="Requirement changes mid-iteration",
        choices=[
            ("accepted", "Accepted at any time"),
            ("lead_agrees", "Only when the lead agrees"),
            ("next_iteration", "Wait for the next iteration"),
        ],
    )
    demo = MarkdownField(label="Demo", help_text="How finished work is shown. Markdown.", rows=3)


class PriorityRuleForm(forms.Form):
    ticket_type = OneLineField(label="Ticket type", max_length=60)
    component = OneLineField(
        label="Component", max_length=80, required=False, help_text="Empty for any component."
    )
    rule = OneLineField(label="Rule", max_length=300)


class PrioritiesForm(SectionForm):
    pass


class StackForm(SectionForm):
    languages = ListField(label="Languages")
    frameworks = ListField(label="Frameworks")
    data_stores = ListField(label="Data stores")
    monitoring = ListField(label="Monitoring")


class ArchitectureForm(SectionForm):
    body = MarkdownField(label="Architecture notes", rows=10)


class NonFunctionalForm(SectionForm):
    body = MarkdownField(
        label="Non-functional requirements",
        rows=8,
        help_text="One requirement per bullet, with how you check it. Markdown.",
    )


class MilestoneForm(forms.Form):
    name = OneLineField(label="Milestone", max_length=120)
    # A milestone reached stays in the charter with its date; one still to reach needs
    # a date to come.
    target_date = PlannedDateField(label="Target date", allow_past=True)
    deliverable = OneLineField(label="Deliverable", max_length=300, required=False)
    done = forms.BooleanField(label="Done", required=False)

    def clean(self):
        data = super().clean()
        if data.get("target_date") and not data.get("done"):
            try:
                date_check(day=data["target_date"], allow_past=False)
            except forms.ValidationError:
                self.add_error("target_date", "This date has passed: tick Done, or move it.")
        return data


class MilestonesForm(SectionForm):
    pass


class SliForm(forms.Form):
    name = OneLineField(label="Indicator", max_length=120)
    measures = OneLineField(label="What it measures", max_length=300)
    objective = OneLineField(
        label="Objective", max_length=120, help_text="e.g. 99.9% of requests under 300 ms"
    )


class SlisForm(SectionForm):
    pass


class RolloutForm(SectionForm):
    cadence = forms.ChoiceField(
        label="We deploy",
        choices=[
            ("on_merge", "On every merge"),
            ("daily", "Daily"),
            ("weekly", "Weekly"),
            ("per_iteration", "Once per iteration"),
            ("release_train", "On a fixed release train"),
        ],
    )
    environments = ListField(
        label="Environments", help_text="In promotion order, separated by commas."
    )
    notes = MarkdownField(label="Notes", rows=3)


class CommunicationForm(SectionForm):
    standup_frequency = forms.ChoiceField(
        label="Stand-up",
        choices=[
            ("daily", "Every working day"),
            ("three_weekly", "Three times a week"),
            ("weekly", "Weekly"),
            ("none", "No stand-up"),
        ],
    )
    standup_format = forms.ChoiceField(
        label="Format",
        choices=[
            ("in_person", "In person"),
            ("video", "Video call"),
            ("async", "Written, asynchronous"),
        ],
    )
    notes = MarkdownField(label="Notes", rows=3)


class WorkSplitForm(SectionForm):
    mode = forms.ChoiceField(
        label="Who picks the work",
        choices=[
            ("lead_assigns", "The lead assigns"),
            ("pull_by_priority", "Engineers pull by priority"),
            ("free_choice", "Free choice"),
        ],
    )
    notes = MarkdownField(label="Notes", rows=3)


class CodeReviewForm(SectionForm):
    kind = forms.ChoiceField(
        label="A change merges after",
        choices=[
            ("consensus", "Consensus of the default reviewers"),
            ("approvals", "A number of approvals"),
            ("self_after_cooldown", "Self-approval after a cool-down"),
        ],
    )
    required_approvals = QuantityField(
        label="Approvals needed", unit="approvals", min_value=0, max_value=10,
        help_text="0 to 10; at least 1 when approvals are the rule.",
    )  # fmt: skip
    seniors_only = forms.BooleanField(label="Only approvals from seniors count", required=False)
    cooldown_hours = QuantityField(
        label="Self-approval cool-down", unit="hours", min_value=0, max_value=168,
        help_text="Hours a change waits for reviewers before its author may approve it.",
    )  # fmt: skip
    turnaround_hours = QuantityField(
        label="Expected review turnaround", unit="hours", min_value=1, max_value=168,
        help_text="From 1 to 168 hours. Reminders use it.",
    )  # fmt: skip
    default_reviewers = ListField(label="Default reviewers", item_max_length=80)
    notes = MarkdownField(label="Notes", rows=3)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == "approvals" and data.get("required_approvals") == 0:
            self.add_error("required_approvals", "Approvals are the rule: ask for at least 1.")
        if kind == "self_after_cooldown" and data.get("cooldown_hours") == 0:
            self.add_error("cooldown_hours", "Self-approval needs a cool-down of at least 1 hour.")
        if kind == "consensus" and not data.get("default_reviewers"):
            self.add_error(
                "default_reviewers", "Name the default reviewers whose consensus counts."
            )
        return data


class RetrosForm(SectionForm):
    every_weeks = QuantityField(
        label="Every", unit="weeks", min_value=1, max_value=8, help_text="From 1 to 8 weeks."
    )
    weekday = forms.TypedChoiceField(label="On", choices=WEEKDAYS, coerce=int)
    start_time = forms.TimeField(
        label="At (local time)", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    time_zone = OneLineField(
        label="Time zone", max_length=64, validators=[validate_time_zone],
        help_text="e.g. Europe/Berlin",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )  # fmt: skip
    duration_minutes = QuantityField(
        label="Duration", unit="minutes", min_value=15, max_value=RETRO_LONGEST_MINUTES,
        help_text=f"From 15 to {RETRO_LONGEST_MINUTES} minutes.",
    )  # fmt: skip
    notes = MarkdownField(label="Notes", rows=3)
