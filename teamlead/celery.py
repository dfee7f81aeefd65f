"""The Celery app, configured from Django's settings under the ``CELERY_`` namespace."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teamlead.settings")

# Every task can run from the outbox: given its row's id in a header, it leases the row
# while it runs and deletes it when done (practices/outbox/task.py).
app = Celery("teamlead", task_cls="practices.outbox.task:OutboxTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each installed app's ``tasks`` module, and each practice's: autodiscovery looks at an
# app's top package only, and the practices are sub-packages of the ``practices`` app.
app.autodiscover_tasks()
app.autodiscover_tasks(
    [
        "practices.teams",
        "practices.jira",
        "practices.retros",
        "practices.reminders",
        "practices.outbox",
    ]
)


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    # kombu's filesystem transport (the embedded default) expects its folders to exist,
    # in the web process that publishes as much as in the worker that consumes.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
