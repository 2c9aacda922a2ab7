#!/bin/sh
# SeaweedFS (master, volume, filer and the S3 gateway in one process) with exactly one S3
# identity, taken from the environment: every request's signature is checked, as AWS S3 does.
set -eu
: "${S3_ACCESS_KEY_ID:?set S3_ACCESS_KEY_ID}"
: "${S3_SECRET_ACCESS_KEY:?set S3_SECRET_ACCESS_KEY}"
identities="${TMPDIR:-/tmp}/s3-identities.json"
python - "$identities" <<'PY'
import json, os, sys

identity = {
    "name": "videoflix",
    "credentials": [
        {"accessKey": os.environ["S3_ACCESS_KEY_ID"], "secretKey": os.environ["S3_SECRET_ACCESS_KEY"]}
    ],
    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
}
with open(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
    json.dump({"identities": [identity]}, out)
PY
# The inner servers talk over loopback; only the S3 port (8333) is for the network.
exec weed server -dir=/data -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3 -s3.port=8333 -s3.ip.bind=0.0.0.0 -s3.config="$identities" \
    -s3.port.iceberg=0 -s3.port.lance=0 -metricsPort=0 \
    -volume.max=0 -master.volumeSizeLimitMB=1024 "$@"
