"""Readable line diffs between two revisions of a text.

Charter sections (and later design pages) keep each revision as text; these
helpers turn two texts into what the history pages show: a compact list of
changed lines with a little context, or two columns side by side.
"""

import difflib
from dataclasses import dataclass

from django.conf import settings
from django.db import models


class RevisionFields(models.Model):
    """What every revised thing keeps per saved change: charter sections, design pages.

    ``text`` is the readable rendering that diffs compare; ``diff`` holds the lines
    changed against the previous revision, computed once at save time.
    """

    number = models.PositiveIntegerField()
    text = models.TextField()
    diff = models.JSONField(default=list)
    message = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        abstract = True


def version_claim(queryset: models.QuerySet, *, pk: int, expected_version: int, **changes) -> bool:
    """Moves the row ``pk`` from ``expected_version`` to the next one, with ``changes``.

    A conditional UPDATE: of two saves against the same version exactly one matches, so a
    save made from a stale form is refused instead of silently overwriting the other.
    """
    return bool(
        queryset.filter(pk=pk, version=expected_version).update(
            version=models.F("version") + 1, **changes
        )
    )


ADDED = "+"
REMOVED = "-"
SAME = " "
GAP = "…"


def text_diff(old: str, new: str) -> list[list[str]]:
    """Every line of both texts tagged as added, removed or unchanged."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    lines: list[list[str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend([SAME, line] for line in old_lines[i1:i2])
            continue
        lines.extend([REMOVED, line] for line in old_lines[i1:i2])
        lines.extend([ADDED, line] for line in new_lines[j1:j2])
    return lines


def diff_hunks(lines: list[list[str]], *, context: int = 1) -> list[list[str]]:
    """Only the changed lines, with ``context`` unchanged lines around them and gaps marked."""
    changed = [i for i, (tag, _) in enumerate(lines) if tag != SAME]
    keep = {j for i in changed for j in range(i - context, i + context + 1)}
    shown: list[list[str]] = []
    last = -1
    for i, line in enumerate(lines):
        if i not in keep:
            continue
        if shown and i != last + 1:
            shown.append([GAP, ""])
        shown.append(line)
        last = i
    return shown


@dataclass(frozen=True)
class SideBySideRow:
    left: str | None
    right: str | None
    tag: str  # "equal", "replace", "delete" or "insert"


def side_by_side(old: str, new: str) -> list[SideBySideRow]:
    """Rows pairing the old text's lines with the new one's; None where a side has no line."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    rows: list[SideBySideRow] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = old_lines[i1:i2], new_lines[j1:j2]
        for k in range(max(len(left), len(right))):
            rows.append(
                SideBySideRow(
                    left=left[k] if k < len(left) else None,
                    right=right[k] if k < len(right) else None,
                    tag=tag,
                )
            )
    return rows
