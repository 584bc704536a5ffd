# One image for the web process, the workers and beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt gunicorn==23.0.0

COPY . .
RUN useradd --create-home --uid 10001 osint \
    && mkdir -p /app/var /app/staticfiles \
    && chown -R osint /app/var /app/staticfiles
USER osint
# With the production storage: hashed, compressed copies and the manifest the pages'
# {% static %} tags read. The build needs no secret or database; these values are never used.
RUN OSINT_ENV=production SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/unused.db \
    python manage.py collectstatic --noinput -v0

EXPOSE 8000
CMD ["gunicorn", "osint_platform.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
