"""Jira: the team's connection, the client that talks to Jira, and the ticket sync.

``client`` speaks to Jira through the ``jira`` package and turns its failures into
our own errors; ``tickets`` reads one ticket's JSON; ``sync`` keeps the local copy
current; ``services`` and ``selectors`` are what views, tasks and commands call.
"""
