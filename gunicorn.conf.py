"""Gunicorn settings for the web container (``gunicorn teamlead.wsgi -c gunicorn.conf.py``).

Flags given on the command line win over these, which is how the tests bind to a
free port on 127.0.0.1.
"""

import os

# Inside a container the published port is the only way in, so listening on every
# interface of the container is what we want.
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
# Sync workers: each request holds one worker, so size this to the CPUs and the load.
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = 30
graceful_timeout = 25
# Worker heartbeats go to memory, not to the container's overlay file system (a
# private tmpfs per container, so nothing else shares it).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Gunicorn's control socket would sit in $HOME, which the app user cannot write in
# the image; nothing here uses it.
control_socket_disable = True
accesslog = "-"
errorlog = "-"


def post_worker_init(worker) -> None:
    """Take what the app allocated at start-up out of the garbage collector's scans.

    Django, the URL map and the compiled templates are some hundred thousand objects
    that live as long as the worker; without this, every full collection walks them all
    again, and a page that allocates much pays for it in its slowest responses.
    """
    import gc

    gc.collect()
    gc.freeze()
