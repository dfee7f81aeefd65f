# One image for every Teamlead process: web (gunicorn), worker and beat (Celery) and
# the one-off migrate job. docker-compose.yml chooses which by its command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system --gid 10001 teamlead \
    && useradd --system --uid 10001 --gid teamlead --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin teamlead

# The pinned dependencies alone first, read from pyproject.toml, so that a change to
# the code rebuilds only the layers below.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print(*deps, sep='\n')" > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Editable, so that BASE_DIR stays /app, where templates/ and static/ are.
COPY . .
RUN pip install --no-deps --editable .

# Static files are part of the image: every web container serves the same hashed
# names, and none needs to write at start-up. The key only lets settings load.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-during-image-build-only \
        python manage.py collectstatic --noinput \
    && mkdir -p var/beat \
    && chown -R teamlead:teamlead var

USER teamlead
EXPOSE 8000
CMD ["gunicorn", "teamlead.wsgi", "--config", "gunicorn.conf.py"]
