#!/bin/sh
# Container start. `setup` runs the one-time start steps (manage.py setup: migrations, superuser,
# demo data) and exits; compose runs it once, in its own service. Any other command (web, worker)
# runs no start step, whatever .env holds, so any number of replicas can start at the same
# moment. It first waits until setup has migrated the database: compose cannot make it wait for a
# one-shot service portably (podman starts a finished dependency again instead of waiting).
set -eu
if [ "$*" = setup ]; then
  exec python manage.py setup
fi
python manage.py setup --wait
exec "$@"
