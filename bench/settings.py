"""The app's settings, plus the benchmark's floor page (``bench.urls``).

Used by ``bench/pages.py`` for both its own process and the gunicorn it starts, so the
pages measured run exactly the app's middleware, templates and database settings.
"""

from teamlead.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405
