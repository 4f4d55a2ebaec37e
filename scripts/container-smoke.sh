#!/usr/bin/env bash
# Smoke test of the container image, as CI runs it after `make test` (a few minutes; the first
# run on a fresh machine also installs podman and builds the base image, about two more).
#
# Builds the image from this checkout with podman, runs it the way production does (read-only
# root filesystem, writable tmpfs only at /tmp, all capabilities dropped, non-root), waits for
# /readyz, extracts events from a real paragraph, checks the user and the read-only root, then
# sends SIGTERM and checks the container is gone within 10 seconds. Prints the image size, the
# build time and the memory of the running server. Exits non-zero on any failure.
#
# Settings (environment):
#   IMAGE        tag to build              (localhost/event-extraction:smoke)
#   BASE_IMAGE   base for both stages      (localhost/python-base:bookworm, built here with
#                debootstrap when missing; set python:3.11-slim where a registry is reachable)
#   WORKERS      gunicorn workers          (2)
#   NO_CACHE=1   build without the layer cache (a cold build time)
#   MAX_IMAGE_MB largest image accepted    (400)
#
# Podman runs with runc and with no default ulimits (see docs/deploying.md: the default crun
# runtime and ulimits do not work in every sandbox), and with host networking; the server
# listens on 127.0.0.1 only, on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/event-extraction:smoke}
BASE_IMAGE=${BASE_IMAGE:-localhost/python-base:bookworm}
CONTAINER=${CONTAINER:-event-extraction-smoke}
WORKERS=${WORKERS:-2}
MAX_IMAGE_MB=${MAX_IMAGE_MB:-400}
READY_TIMEOUT=${READY_TIMEOUT:-180}
STOP_LIMIT=10
RUNTIME=${PODMAN_RUNTIME:-runc}
APP_UID=10001

log() { printf '[container-smoke] %s\n' "$*"; }
fail() { printf '[container-smoke] FAIL: %s\n' "$*" >&2; exit 1; }

WORK_DIR=$(mktemp -d)
cleanup() {
    local rc=$?
    if command -v podman >/dev/null 2>&1; then
        podman --runtime "$RUNTIME" rm --force --time 0 "$CONTAINER" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -------------------------------------------------------------------------------------
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v "$RUNTIME" >/dev/null 2>&1 || missing+=("$RUNTIME")
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [[ $BASE_IMAGE == localhost/python-base:* ]] && ! command -v debootstrap >/dev/null 2>&1; then
    missing+=(debootstrap)
fi
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || fail "install ${missing[*]} (needs root)"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${missing[@]}" >/dev/null
fi

if [[ -z ${CONTAINERS_CONF:-} ]]; then
    printf '[containers]\ndefault_ulimits = []\n' >"$WORK_DIR/containers.conf"
    export CONTAINERS_CONF=$WORK_DIR/containers.conf
fi
pm() { podman --runtime "$RUNTIME" "$@"; }

# A leftover from an interrupted run would hold the name.
pm rm --force --time 0 "$CONTAINER" >/dev/null 2>&1 || true

# --- base image (cached: built once per machine) -----------------------------------------------
if [[ $BASE_IMAGE == localhost/python-base:* ]] && ! pm image exists "$BASE_IMAGE"; then
    log "building base image $BASE_IMAGE with debootstrap (Debian bookworm, python3 3.11)"
    rootfs=$WORK_DIR/rootfs
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$rootfs" http://deb.debian.org/debian >"$WORK_DIR/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK_DIR/debootstrap.log" >&2; fail "debootstrap failed"; }
    # What Debian's -slim images leave out too: documentation, manuals, translations, caches.
    rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/usr/share/locale/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | pm import --quiet \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
fi

# --- build -------------------------------------------------------------------------------------
build_args=(--format docker --network host -t "$IMAGE"
    --build-arg "BASE_IMAGE=$BASE_IMAGE"
    --build-arg "VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
    --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
    --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
# The CA bundle pip trusts here (it may hold a TLS-intercepting proxy's CA), handed to pip in
# the build as a secret, never stored in a layer: $PIP_CERT, else pip's configured cert, else
# the system's bundle.
pip_cert=${PIP_CERT:-$(python3 -m pip config get global.cert 2>/dev/null || true)}
[[ -n $pip_cert ]] || pip_cert=/etc/ssl/certs/ca-certificates.crt
if [[ -n $pip_cert && -s $pip_cert ]]; then
    build_args+=(--secret "id=pip_cert,src=$pip_cert")
fi
[[ ${NO_CACHE:-0} == 1 ]] && build_args+=(--no-cache)

old_image=$(pm image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
log "building $IMAGE from $BASE_IMAGE"
build_start=$(date +%s)
if ! pm build "${build_args[@]}" . >"$WORK_DIR/build.log" 2>&1; then
    tail -40 "$WORK_DIR/build.log" >&2
    fail "image build failed"
fi
build_seconds=$(($(date +%s) - build_start))
new_image=$(pm image inspect --format '{{.Id}}' "$IMAGE")
# Runs repeated on one machine do not pile up untagged images.
if [[ -n $old_image && $old_image != "$new_image" ]]; then
    pm rmi "$old_image" >/dev/null 2>&1 || true
fi
cached=$(grep -c -- '--> Using cache' "$WORK_DIR/build.log" || true)
image_bytes=$(pm image inspect --format '{{.Size}}' "$IMAGE")
image_mb=$((image_bytes / 1000000))
log "build time: ${build_seconds}s (${cached} cached steps)"
log "image size: ${image_mb} MB (${image_bytes} bytes)"
((image_mb <= MAX_IMAGE_MB)) || fail "image is ${image_mb} MB, over ${MAX_IMAGE_MB} MB"

# --- run ---------------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "starting $CONTAINER on 127.0.0.1:$port (read-only root, tmpfs /tmp, no capabilities)"
pm run --detach --name "$CONTAINER" --network host \
    --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,size=64m \
    --cap-drop ALL --security-opt no-new-privileges --health-interval disable \
    -e HOST=127.0.0.1 -e PORT="$port" -e WORKERS="$WORKERS" \
    "$IMAGE" >/dev/null 2>"$WORK_DIR/run.log" || { cat "$WORK_DIR/run.log" >&2; fail "podman run failed"; }
base_url=http://127.0.0.1:$port

show_logs() { pm logs --tail 40 "$CONTAINER" >&2 || true; }

ready_start=$(date +%s)
until curl -fs -o /dev/null --max-time 2 "$base_url/readyz"; do
    state=$(pm inspect --format '{{.State.Status}}' "$CONTAINER" 2>/dev/null || echo gone)
    if [[ $state != running ]]; then show_logs; fail "container is $state before it was ready"; fi
    if (($(date +%s) - ready_start > READY_TIMEOUT)); then show_logs; fail "not ready after ${READY_TIMEOUT}s"; fi
    sleep 1
done
log "ready after $(($(date +%s) - ready_start))s"

curl -fsS --max-time 5 "$base_url/healthz" >/dev/null || fail "/healthz did not answer 200"

# --- extraction --------------------------------------------------------------------------------
cat >"$WORK_DIR/request.json" <<'EOF'
{"document_date": "2025-06-12",
 "text": "China's securities regulator on Tuesday approved Biren Technology's IPO in Hong Kong. The Shanghai-based chip designer plans to list its shares on the Hong Kong Stock Exchange next month. Separately, Nvidia said it has started production of its Blackwell Ultra accelerators in Taiwan, while the U.S. Commerce Department banned exports of advanced AI chips to China."}
EOF
curl -fsS --max-time 30 -H 'Content-Type: application/json' --data-binary @"$WORK_DIR/request.json" \
    "$base_url/v1/extract" >"$WORK_DIR/response.json" || { show_logs; fail "POST /v1/extract failed"; }
python3 - "$WORK_DIR/request.json" "$WORK_DIR/response.json" <<'EOF' || fail "extraction result is wrong"
import json, sys
text = json.load(open(sys.argv[1]))["text"]
events = json.load(open(sys.argv[2]))["events"]
for event in events:
    trigger = event["trigger"]
    assert text[trigger["start"]:trigger["end"]] == trigger["text"], f"offsets of {trigger}"
    actors = ", ".join(f"{a['text']} ({a['role']})" for a in event["actors"])
    print(f"[container-smoke]   {event['type']}/{event['stage']}: {trigger['text']!r} -- {actors}")
types = {event["type"] for event in events}
assert any(e["type"] == "ipo" and any(a["text"] == "Biren Technology" for a in e["actors"]) for e in events), \
    "no IPO event with Biren Technology"
print(f"[container-smoke] extraction: {len(events)} events, types {sorted(types)}")
EOF

# --- user and filesystem -----------------------------------------------------------------------
master_pid=$(pm inspect --format '{{.State.Pid}}' "$CONTAINER")
pids=("$master_pid" $(cat /proc/"$master_pid"/task/*/children 2>/dev/null || true))
for pid in "${pids[@]}"; do
    uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
    [[ $uid == "$APP_UID" ]] || fail "process $pid runs as uid $uid, not $APP_UID"
done
log "user: gunicorn master and $((${#pids[@]} - 1)) workers run as uid $APP_UID (exec: uid $(pm exec "$CONTAINER" id -u))"

[[ $(pm inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$CONTAINER") == true ]] || fail "root is not read-only"
# As uid 0 inside the container, so only the read-only mount (not file modes) can refuse.
if err=$(pm exec --user 0 "$CONTAINER" touch /app/written-at-run-time 2>&1); then
    fail "wrote to the root filesystem"
fi
[[ $err == *"Read-only file system"* ]] || fail "write to / failed for another reason: $err"
pm exec "$CONTAINER" sh -c 'echo ok > /tmp/probe && rm /tmp/probe' || fail "/tmp is not writable"
log "filesystem: root read-only (\"${err##*: }\"), /tmp writable"

if pm healthcheck run "$CONTAINER" >/dev/null 2>&1; then
    log "HEALTHCHECK: healthy"
else
    fail "the image's HEALTHCHECK reports unhealthy"
fi

# --- memory (sizes deploy/kubernetes/deployment.yaml) -------------------------------------------
# PSS splits the pages the workers share with the master (the model, loaded before the fork).
for pid in "${pids[@]}"; do
    role=worker; [[ $pid == "$master_pid" ]] && role=master
    awk -v what="$role $pid" '/^Rss:/ {rss = $2} /^Pss:/ {pss = $2}
        END {printf "[container-smoke] memory: %s RSS %d MiB, PSS %d MiB\n", what, rss / 1024, pss / 1024}' \
        "/proc/$pid/smaps_rollup"
done
pm stats --no-stream --format 'memory: container {{.MemUsage}}' "$CONTAINER" 2>/dev/null \
    | sed 's/^/[container-smoke] /' || true

# --- SIGTERM -----------------------------------------------------------------------------------
stop_start=$(date +%s.%N)
# (podman without systemd complains about healthcheck timers on stderr: kept out of the way.)
pm stop --time "$STOP_LIMIT" "$CONTAINER" >/dev/null 2>>"$WORK_DIR/run.log"
stop_seconds=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" \
    "$stop_start" "$(date +%s.%N)")
exit_code=$(pm inspect --format '{{.State.ExitCode}}' "$CONTAINER")
log "stop: exited with code $exit_code ${stop_seconds}s after SIGTERM"
[[ $exit_code == 0 ]] || { show_logs; fail "exit code $exit_code after SIGTERM (137 means it was killed)"; }
python3 -c "import sys; sys.exit(float(sys.argv[1]) >= $STOP_LIMIT)" "$stop_seconds" \
    || fail "took ${stop_seconds}s to stop, limit ${STOP_LIMIT}s"

log "PASS: image ${image_mb} MB, built in ${build_seconds}s"
