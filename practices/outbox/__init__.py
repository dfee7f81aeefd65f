"""The outbox: Celery work a write asked for, recorded in its transaction (see services)."""
