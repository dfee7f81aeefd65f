"""Text that must stay on one line: what people type into one-line inputs, and mail headers.

A browser's <input> cannot hold a line break, but a request can: a title posted with
"\\r\\n" was stored, and every email whose subject carried it failed with
BadHeaderError. One-line fields fold line breaks (and the other control characters)
into a space, so nothing typed is lost; mail headers fold them again when they are
built, so text stored before this rule cannot break a header either.
"""

import re

from django import forms

# Control characters (C0 but NUL, DEL, C1) and the Unicode line and paragraph separators:
# everything str.splitlines() breaks at, and the rest of what has no place in one line.
# NUL is left to Django's own check, which refuses it with a message.
_CONTROL = "\x01-\x1f\x7f-\x9f\u2028\u2029"
_FOLD = re.compile(rf"[\s{_CONTROL}]*[{_CONTROL}][\s{_CONTROL}]*")


def one_line(text: str) -> str:
    """``text`` with every run of line breaks, tabs and control characters (and the
    spaces around them) folded into one space."""
    return _FOLD.sub(" ", text)


def header_line(text: str) -> str:
    """``text`` made fit for an email header (a subject, a display name): one line, no
    control characters at all, whatever was stored."""
    return one_line(text.replace("\x00", " ")).strip()


class OneLineField(forms.CharField):
    """A CharField for an <input>: line breaks posted anyway are folded into a space."""

    def to_python(self, value):
        value = super().to_python(value)
        folded = one_line(value)
        return folded.strip() if self.strip else folded
