# syntax=docker/dockerfile:1
# Complaintflow's image: the worker (`complaints worker`) and the intake API (`complaints api`).
# Two stages so no compiler cache, pip cache or source tree ends up in what runs.

FROM python:3.11.13-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Only what the package is built from (see .dockerignore too): no tests, no dev extras.
COPY pyproject.toml README.md worker.py ./
COPY complaints ./complaints
COPY infra ./infra
COPY workflows ./workflows
COPY activities ./activities
COPY starter ./starter
RUN /opt/venv/bin/pip install ".[postgres]"

FROM python:3.11.13-slim-bookworm
RUN groupadd --system --gid 10001 complaints \
    && useradd --system --uid 10001 --gid complaints --home-dir /app --shell /usr/sbin/nologin complaints
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY config ./config
RUN mkdir -p /app/.data && chown complaints:complaints /app/.data
# The installed package lives in site-packages, so the rules file is named explicitly;
# docker-compose mounts ./config over /app/config to edit rules without a rebuild.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    COMPLAINTS_DATA_DIR=/app/.data \
    COMPLAINTS_RULES_FILE=/app/config/complaints.toml \
    COMPLAINTS_LOG_FORMAT=json \
    MPLCONFIGDIR=/tmp/matplotlib
USER complaints:complaints
CMD ["complaints", "worker"]
