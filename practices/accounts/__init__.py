"""Temporary shim package (issue 12): moved to ``practices.teams``. Deleted at the end
of issue 12."""
