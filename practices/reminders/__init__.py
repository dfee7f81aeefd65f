"""Reminder emails that are never sent twice.

How it fits together:

- ``kinds``: each kind of reminder (retro, votes due, …) registers a *finder* that,
  in a fixed number of queries whatever the number of teams, lists who is due what
  (``Due``), and a *renderer* that turns planned rows into messages. Proposal kinds
  live in ``proposals.reminders`` and register from their app's ``ready()``: this
  package never imports ``proposals``.
- ``planner``: run by beat every few minutes. Inserts one ``Reminder`` row per
  (kind, object, person, occasion) — the unique key makes a second run, or a second
  beat, insert nothing — and queues a send task for each row that is due, including
  rows whose claim was left behind by a crash and rows whose backoff has passed.
  Nothing waits in the broker with an ETA: the database says what is due.
- ``delivery``: claims a row with a conditional UPDATE, renders, hands the message
  to the mail server, and marks it sent (see ``reminder_send`` for the one window
  left).
- ``preferences``: per person and kind, email now / daily digest / off; signed
  one-click unsubscribe tokens.
- ``heartbeat``: beat ticks every minute; a tick older than 15 minutes is a stopped
  scheduler, shown to leads and reported by ``/healthz``.
"""
