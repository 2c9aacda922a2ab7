#!/bin/sh
# Container start: optional migrations, superuser and demo data, then the given command.
set -eu
if [ "${MIGRATE_ON_START:-false}" = "true" ]; then
  python manage.py migrate --noinput
fi
if [ -n "${DJANGO_SUPERUSER_EMAIL:-}" ] && [ -n "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
  python manage.py createsuperuser --noinput 2>/dev/null || echo "Superuser ${DJANGO_SUPERUSER_EMAIL} already exists."
fi
if [ "${DEMO_DATA:-false}" = "true" ]; then
  python manage.py create_demo_user
  if python manage.py help import_sample_video >/dev/null 2>&1; then
    python manage.py import_sample_video
  fi
fi
exec "$@"
