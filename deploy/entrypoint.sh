#!/bin/sh
# Container start. `setup` runs the one-time start steps (manage.py setup: migrations, superuser,
# demo data) and exits; compose runs it once, in its own service, before web and worker start.
# Any other command runs as given and no start step runs with it, whatever .env holds, so any
# number of web and worker replicas can start at the same moment.
set -eu
if [ "$*" = setup ]; then
  set -- python manage.py setup
fi
exec "$@"
