"""The sections of a team charter: their forms, defaults, and how they read.

Each section is described once here. Its form says what may be typed and checks
it; the same form's fields tell the charter page how to show a value and the
history how to diff it, so a new field needs no template change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.safestring import SafeString

from practices.charter import forms as f
from practices.charter.fields import ListField, MarkdownField, QuantityField, to_json
from practices.markdown import render_markdown


@dataclass(frozen=True)
class Shown:
    """One field as the charter page shows it."""

    label: str
    value: str | SafeString
    is_markdown: bool = False


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


def describe(form_field: forms.Field, value: Any) -> str:
    """A field's stored value as a reader sees it (markdown stays source here)."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(form_field, QuantityField):
        return form_field.describe(value)
    if isinstance(form_field, forms.BooleanField):
        return "Yes" if value else "No"
    if isinstance(form_field, forms.ChoiceField):
        return str(dict(form_field.choices).get(value, value))
    if isinstance(form_field, ListField):
        return ", ".join(value)
    return str(value)


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    description: str
    form_class: type[f.SectionForm]
    default: dict[str, Any]
    summary: Callable[[dict[str, Any]], str] = lambda data: ""
    row_form_class: type[forms.Form] | None = None
    rows_empty: str = ""
    row_sort_key: Callable[[dict[str, Any]], Any] | None = None
    # Fields that do not apply given the others (e.g. a cool-down when approvals rule).
    not_applicable: Callable[[dict[str, Any]], set[str]] = lambda data: set()

    # -- reading ---------------------------------------------------------------------
    def content_fields(self) -> dict[str, forms.Field]:
        return {
            name: form_field
            for name, form_field in self.form_class.base_fields.items()
            if name not in f.SectionForm.META_FIELDS
        }

    def with_defaults(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**self.default, **(data or {})}

    def rows(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        rows = list(data.get("rows") or [])
        if self.row_sort_key:
            rows.sort(key=self.row_sort_key)
        return rows

    def shown(self, data: dict[str, Any]) -> list[Shown]:
        data = self.with_defaults(data)
        items = []
        hidden = self.not_applicable(data)
        for name, form_field in self.content_fields().items():
            if name in hidden:
                continue
            value = data.get(name)
            if isinstance(form_field, MarkdownField):
                if value:
                    items.append(Shown(form_field.label, render_markdown(value), is_markdown=True))
                continue
            text = describe(form_field, value)
            if text:
                items.append(Shown(form_field.label, text))
        return items

    def table(self, data: dict[str, Any]) -> Table | None:
        if self.row_form_class is None:
            return None
        row_fields = self.row_form_class.base_fields
        return Table(
            headers=[str(row_field.label) for row_field in row_fields.values()],
            rows=[
                [describe(row_field, row.get(name)) for name, row_field in row_fields.items()]
                for row in self.rows(data)
            ],
        )

    def text(self, data: dict[str, Any]) -> str:
        """The section as plain lines, one field per line: what revisions diff."""
        data = self.with_defaults(data)
        lines = []
        for name, form_field in self.content_fields().items():
            value = data.get(name)
            if isinstance(form_field, MarkdownField):
                lines.append(f"{form_field.label}:")
                lines.extend(f"  {line}" for line in (value or "").splitlines())
            else:
                lines.append(f"{form_field.label}: {describe(form_field, value)}")
        if self.row_form_class is not None:
            row_fields = self.row_form_class.base_fields
            for row in self.rows(data):
                cells = [describe(row_fields[name], row.get(name)) for name in row_fields]
                lines.append("- " + " | ".join(cells))
        return "\n".join(lines)

    # -- editing ---------------------------------------------------------------------
    def editor(self, *, data: dict[str, Any], version: int, post=None) -> "SectionEditor":
        return SectionEditor(spec=self, data=self.with_defaults(data), version=version, post=post)


class SectionEditor:
    """A section's form, plus the formset of its rows when it has rows."""

    def __init__(self, *, spec: SectionSpec, data: dict[str, Any], version: int, post) -> None:
        self.spec = spec
        initial = {**data, "version": version}
        self.form = spec.form_class(post, initial=initial, prefix=None)
        self.formset = None
        if spec.row_form_class is not None:
            formset_class = forms.formset_factory(
                spec.row_form_class,
                extra=2,
                can_delete=True,
                max_num=f.MAX_ROWS,
                validate_max=True,
                absolute_max=f.MAX_ROWS + 10,
            )
            # A bound formset keeps every filled row it was sent, whatever the management
            # form claims about initial rows; initial data only fills the blank form.
            initial = spec.rows(data) if post is None else None
            self.formset = formset_class(post, initial=initial, prefix="rows")

    def is_valid(self) -> bool:
        form_ok = self.form.is_valid()
        rows_ok = self.formset is None or self.formset.is_valid()
        return form_ok and rows_ok

    def to_data(self) -> dict[str, Any]:
        data = {
            name: to_json(value)
            for name, value in self.form.cleaned_data.items()
            if name not in f.SectionForm.META_FIELDS
        }
        if self.formset is not None:
            data["rows"] = [
                {name: to_json(value) for name, value in row.items() if name != "DELETE"}
                for row in self.formset.cleaned_data
                if row and not row.get("DELETE")
            ]
        return data

    @property
    def expected_version(self) -> int:
        return self.form.cleaned_data["version"]

    @property
    def message(self) -> str:
        return self.form.cleaned_data.get("message", "")

    def bump_version(self, version: int) -> None:
        """After a conflict: the next save is made against the version now stored."""
        self.form.data = self.form.data.copy()
        self.form.data["version"] = str(version)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _methodology_summary(data: dict[str, Any]) -> str:
    days = data.get("iteration_length_days") or 0
    length = f"{days // 7}-week" if days and days % 7 == 0 else f"{days}-day"
    return f"{length} iterations"


def _code_review_summary(data: dict[str, Any]) -> str:
    kind = data.get("kind")
    if kind == "consensus":
        rule = "Consensus of " + (", ".join(data.get("default_reviewers") or []) or "reviewers")
    elif kind == "self_after_cooldown":
        rule = f"Self-approval after {_plural(data.get('cooldown_hours') or 0, 'hour')}"
    else:
        who = "senior " if data.get("seniors_only") else ""
        rule = _plural(data.get("required_approvals") or 0, f"{who}approval")
    return f"{rule}; reviews within {_plural(data.get('turnaround_hours') or 0, 'hour')}"


def _code_review_not_applicable(data: dict[str, Any]) -> set[str]:
    kind = data.get("kind")
    hidden = set()
    if kind != "approvals":
        hidden |= {"required_approvals", "seniors_only"}
    if kind != "self_after_cooldown":
        hidden.add("cooldown_hours")
    return hidden


def _retros_summary(data: dict[str, Any]) -> str:
    weeks = data.get("every_weeks") or 1
    every = "Every week" if weeks == 1 else f"Every {weeks} weeks"
    weekday = dict(f.WEEKDAYS).get(data.get("weekday"), "")
    return (
        f"{every} on {weekday} at {data.get('start_time')} ({data.get('time_zone')}), "
        f"{data.get('duration_minutes')} minutes"
    )


def _rollout_summary(data: dict[str, Any]) -> str:
    cadence = describe(f.RolloutForm.base_fields["cadence"], data.get("cadence"))
    environments = " → ".join(data.get("environments") or [])
    return f"{cadence}" + (f" to {environments}" if environments else "")


def _choice_summary(form_class: type[forms.Form], *names: str) -> Callable[[dict], str]:
    def summary(data: dict[str, Any]) -> str:
        return " · ".join(
            describe(form_class.base_fields[name], data.get(name))
            for name in names
            if data.get(name)
        )

    return summary


def _count_summary(word: str) -> Callable[[dict], str]:
    def summary(data: dict[str, Any]) -> str:
        rows = data.get("rows") or []
        return _plural(len(rows), word) if rows else ""

    return summary


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        key="methodology",
        title="How we plan and deliver",
        description="Iteration length, planning, estimation, changes and demos.",
        form_class=f.MethodologyForm,
        default={
            "iteration_length_days": 14,
            "planning": "",
            "estimation": "",
            "mid_iteration_changes": "lead_agrees",
            "demo": "",
        },
        summary=_methodology_summary,
    ),
    SectionSpec(
        key="priorities",
        title="Priority rules",
        description="Which tickets jump the queue, by type and component.",
        form_class=f.PrioritiesForm,
        default={"rows": []},
        summary=_count_summary("rule"),
        row_form_class=f.PriorityRuleForm,
        rows_empty="No priority rules yet: every ticket is ordered by the backlog.",
    ),
    SectionSpec(
        key="stack",
        title="Technical stack",
        description="Languages, frameworks, data stores and monitoring.",
        form_class=f.StackForm,
        default={"languages": [], "frameworks": [], "data_stores": [], "monitoring": []},
        summary=lambda data: ", ".join((data.get("languages") or [])[:4]),
    ),
    SectionSpec(
        key="architecture",
        title="Architecture notes",
        description="The shape of the system and the reasons behind it.",
        form_class=f.ArchitectureForm,
        default={"body": ""},
    ),
    SectionSpec(
        key="nfrs",
        title="Non-functional requirements",
        description="What the system must survive and how fast it must be.",
        form_class=f.NonFunctionalForm,
        default={"body": ""},
    ),
    SectionSpec(
        key="milestones",
        title="Internal milestones",
        description="Dates the team has committed to, and what each delivers.",
        form_class=f.MilestonesForm,
        default={"rows": []},
        summary=_count_summary("milestone"),
        row_form_class=f.MilestoneForm,
        rows_empty="No milestones yet.",
        row_sort_key=lambda row: (row.get("target_date") or "", row.get("name") or ""),
    ),
    SectionSpec(
        key="slis",
        title="Service level indicators",
        description="What we measure about the service, and the objective for each.",
        form_class=f.SlisForm,
        default={"rows": []},
        summary=_count_summary("indicator"),
        row_form_class=f.SliForm,
        rows_empty="No indicators yet.",
    ),
    SectionSpec(
        key="rollout",
        title="Rollout schedule",
        description="How often changes reach users, and through which environments.",
        form_class=f.RolloutForm,
        default={"cadence": "weekly", "environments": ["staging", "production"], "notes": ""},
        summary=_rollout_summary,
    ),
    SectionSpec(
        key="communication",
        title="Communication",
        description="Stand-ups and how the team keeps in touch.",
        form_class=f.CommunicationForm,
        default={"standup_frequency": "daily", "standup_format": "video", "notes": ""},
        summary=_choice_summary(f.CommunicationForm, "standup_frequency", "standup_format"),
    ),
    SectionSpec(
        key="work_split",
        title="Split of work",
        description="How work finds its engineer.",
        form_class=f.WorkSplitForm,
        default={"mode": "pull_by_priority", "notes": ""},
        summary=_choice_summary(f.WorkSplitForm, "mode"),
    ),
    SectionSpec(
        key="code_review",
        title="Code review",
        description="When a change may merge, and how fast reviews come back.",
        form_class=f.CodeReviewForm,
        default={
            "kind": "approvals",
            "required_approvals": 1,
            "seniors_only": False,
            "cooldown_hours": 0,
            "turnaround_hours": 24,
            "default_reviewers": [],
            "notes": "",
        },
        summary=_code_review_summary,
        not_applicable=_code_review_not_applicable,
    ),
    SectionSpec(
        key="retros",
        title="Retrospectives",
        description="When the team looks back, and for how long.",
        form_class=f.RetrosForm,
        default={
            "every_weeks": 2,
            "weekday": 3,
            "start_time": "15:00",
            "time_zone": "UTC",
            "duration_minutes": 60,
            "notes": "",
        },
        summary=_retros_summary,
    ),
)

SECTIONS_BY_KEY: dict[str, SectionSpec] = {spec.key: spec for spec in SECTIONS}
SECTION_ORDER: dict[str, int] = {spec.key: i for i, spec in enumerate(SECTIONS)}


def section_spec(key: str) -> SectionSpec:
    return SECTIONS_BY_KEY[key]
