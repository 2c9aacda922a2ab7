#!/bin/bash
# compose.yaml + compose.s3.yaml (MEDIA_STORAGE=s3) with podman on the stand-in images of the
# shared container smoke (run its run.sh once first, as root): health through nginx, the demo film
# ready, master -> media playlist -> first segment URI (a signed URL under /media-bucket) -> its
# bytes with credentialed CORS; no service may mount a media volume. Run from the checkout:
#   deploy/objectstore/smoke.sh   (KEEP=1 leaves the stack running; logs in /tmp/videoflix-s3smoke)
set -uo pipefail
W=/tmp/videoflix-s3smoke; mkdir -p $W
PROJECT=$(git rev-parse --show-toplevel)
# podman's defaults fail on the smoke's machine: its containers.conf (beside run.sh) fixes that.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PROJECT/../shared/container-smoke/containers.conf}
PORT=18081
cd "$PROJECT"
podman build -t localhost/videoflix:latest -f Containerfile . >$W/build-project.log 2>&1 || { echo "project build failed"; exit 1; }
podman build -t localhost/videoflix-objectstore:latest -f deploy/objectstore/Containerfile . >$W/build-objectstore.log 2>&1 || { echo "objectstore build failed: $(tail -3 $W/build-objectstore.log)"; exit 1; }
cat > .env <<ENV
SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
STREAMING_SEGMENT_LINK_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')
ALLOWED_HOSTS=127.0.0.1,localhost
SECURE_SSL_REDIRECT=false
AUTH_COOKIE_SECURE=false
DEMO_DATA=true
WEB_PORT=$PORT
S3_ACCESS_KEY_ID=smoke-key
S3_SECRET_ACCESS_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')
S3_MEDIA_BASE_URL=http://127.0.0.1:$PORT/media-bucket
ENV
PC="/tmp/container-smoke/pc/bin/podman-compose -p videoflix-s3smoke -f compose.yaml -f compose.s3.yaml"
$PC down -v >/dev/null 2>&1
$PC up -d >$W/up.log 2>&1 || { echo "compose up failed: $(tail -3 $W/up.log)"; $PC down -v >/dev/null 2>&1; exit 1; }
ok=0
for i in $(seq 1 120); do curl -fsS -o /dev/null http://127.0.0.1:$PORT/api/health/ 2>/dev/null && { ok=1; break; }; sleep 2; done
result=1; msg="health through nginx never answered 200"
if [ $ok = 1 ]; then
  msg="health 200; demo film never ready"
  jar=$W/cookies; rm -f $jar
  for i in $(seq 1 100); do
    curl -s -c $jar -H 'Content-Type: application/json' -d '{"email":"demo@videoflix.local","password":"videoflix-demo"}' http://127.0.0.1:$PORT/api/login/ >/dev/null
    id=$(curl -s -b $jar http://127.0.0.1:$PORT/api/video/ | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["id"] if isinstance(d,list) and d else "")' 2>/dev/null)
    [ -n "$id" ] && break; sleep 3
  done
  if [ -n "$id" ]; then
    rung=$(curl -s -b $jar http://127.0.0.1:$PORT/api/video/$id/master.m3u8 | grep -v '^#' | head -1)
    curl -s -b $jar "http://127.0.0.1:$PORT/api/video/$id/$rung" > $W/media.m3u8
    seg=$(grep -v '^#' $W/media.m3u8 | head -1)
    echo "first segment URI: $seg" > $W/segment-uri.txt
    curl -s -D $W/seg.headers -H 'Origin: http://127.0.0.1:5500' -o $W/seg.ts -w '%{http_code}' "$seg" > $W/seg.code
    code=$(cat $W/seg.code)
    mounts=$(for service in setup web worker nginx; do
      podman inspect videoflix-s3smoke_${service}_1 --format '{{range .Mounts}}{{.Destination}} {{end}}'
    done)
    if echo "$mounts" | grep -qE '(^| )/(data/)?media( |$)'; then
      msg="a service mounts a media volume: $mounts"
    elif [ "$code" = 200 ] && [ "$(head -c1 $W/seg.ts)" = "G" ] && grep -qi '^access-control-allow-credentials: true' $W/seg.headers; then
      result=0; msg="s3 stack healthy, no media volume; demo film $id plays from the bucket through the nginx proxy ($seg)"
    else msg="segment $seg -> $code"; fi
  fi
fi
$PC ps > $W/ps.txt 2>&1
$PC logs > $W/compose.log 2>&1
[ "${KEEP:-}" = 1 ] || $PC down -v >/dev/null 2>&1
echo "$msg"; exit $result
