# syntax=docker/dockerfile:1
#
# ZKredit image: one image for every agent, the gateway, the prover workers and the
# one-off `zkredit deploy` job. The command picks the role, for example
#   docker run zkredit serve worker --env production --host 0.0.0.0
#   docker run zkredit worker prover --env production
# Build from the repository root: docker build -t zkredit:0.1.0 .

ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: a self-contained virtualenv with zkredit and its dependencies ------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Build a wheel, then install it (not the source tree): the venv holds no checkout paths.
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && pip install --no-cache-dir /wheels/zkredit-*.whl

# --- runtime: the venv, the committed circuit keys and contract artifacts --------------
FROM ${PYTHON_IMAGE} AS runtime

# A fixed uid/gid, so mounted keystores and volumes can be owned by it on the host.
ARG ZKREDIT_UID=10001
ARG ZKREDIT_GID=10001

# tini reaps the prover workers' child processes and forwards SIGTERM to zkredit.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid "${ZKREDIT_GID}" zkredit \
 && useradd --system --uid "${ZKREDIT_UID}" --gid zkredit --no-create-home \
        --home-dir /var/lib/zkredit --shell /usr/sbin/nologin zkredit \
 && install -d -o zkredit -g zkredit -m 0750 \
        /var/lib/zkredit /var/lib/zkredit/data /var/lib/zkredit/deployments \
 && install -d -o root -g zkredit -m 0750 /run/zkredit /run/zkredit/keystores

COPY --from=builder /opt/venv /opt/venv

# ZKREDIT_HOME holds circuits/, contracts/ and environments/ as in the repository. The circuit
# sources are copied too: start-up re-hashes them against circuits/keys/MANIFEST.json.
COPY circuits/circuits.json /opt/zkredit/circuits/circuits.json
COPY circuits/src /opt/zkredit/circuits/src
COPY circuits/keys /opt/zkredit/circuits/keys
COPY contracts/artifacts /opt/zkredit/contracts/artifacts
# The committed environments (`--env production`); mount others with ZKREDIT_ENVIRONMENTS_DIR.
COPY environments /opt/zkredit/environments
COPY --chmod=0755 deploy/docker/entrypoint.py /usr/local/bin/zkredit-entrypoint
COPY --chmod=0755 deploy/docker/healthcheck.py /usr/local/bin/zkredit-healthcheck

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ZKREDIT_HOME=/opt/zkredit \
    ZKREDIT_ENV=production \
    ZKREDIT_DATA_DIR=/var/lib/zkredit/data \
    ZKREDIT_DEPLOYMENTS_DIR=/var/lib/zkredit/deployments \
    ZKREDIT_KEYSTORE_DIR=/run/zkredit/keystores \
    METRICS_PORT=9090 \
    HEALTHCHECK_URL=http://127.0.0.1:3000/health/live

WORKDIR /var/lib/zkredit
USER ${ZKREDIT_UID}:${ZKREDIT_GID}

EXPOSE 3000 3001 3002 3003 3004 9090

# Liveness only (is the process serving?). Each service sets HEALTHCHECK_URL to its own
# port; compose and Kubernetes check /health/ready separately.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["zkredit-healthcheck"]

# The entrypoint turns *_FILE secrets into variables, then execs `zkredit "$@"`.
ENTRYPOINT ["tini", "--", "zkredit-entrypoint"]
CMD ["--help"]
