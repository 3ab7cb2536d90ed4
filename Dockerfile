# KAM Portal production image: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=kam.settings.production \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

# Dependencies first, pinned by constraints.txt, so code changes reuse this layer.
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt .

COPY . .

# Static files are collected into the image and served by whitenoise. The settings
# need their secrets to load, so the build supplies throwaway values that are never
# used at run time (no database, no encryption happens here).
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
    DJANGO_ALLOWED_HOSTS=localhost \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1maWVsZC1rZXktMDAwMDAwMDAwMDA= \
    BLIND_INDEX_KEY=build-only \
    python manage.py collectstatic --noinput

RUN useradd --system --create-home --uid 10001 kam \
    && mkdir -p /app/var \
    && chown -R kam:kam /app/var
USER kam

EXPOSE 8000
# Web by default; docker-compose.yml runs the worker and beat from the same image.
# gunicorn takes its worker count from WEB_CONCURRENCY (default 1; compose sets it).
CMD ["gunicorn", "kam.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
