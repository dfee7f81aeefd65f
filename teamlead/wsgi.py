"""WSGI entry point, served by gunicorn (``gunicorn teamlead.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "teamlead.settings")

application = get_wsgi_application()
