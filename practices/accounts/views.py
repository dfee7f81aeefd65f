"""Temporary shim (issue 12): moved to ``practices.teams.views``. Deleted at the end of
issue 12."""

from practices.teams.views import InvitationAcceptView, _profile_initial, profile  # noqa: F401
