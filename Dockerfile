# syntax=docker/dockerfile:1
# Harbour production image. One image, three roles (see compose.yaml):
#   web     daphne config.asgi:application        (the default CMD)
#   worker  python manage.py worker --no-reload --queue-name '*'
#   migrate python manage.py migrate --no-input
# Configuration comes only from the environment (config/settings.py); nothing secret is baked in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HARBOUR_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

# An unprivileged account with a fixed numeric id, so orchestrators can verify runAsNonRoot.
RUN groupadd --system --gid 10001 harbour \
    && useradd --system --uid 10001 --gid harbour --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin harbour

# The whole build context (.dockerignore keeps out .venv, var, .git, caches, tests and any .env file).
COPY . .

# Install the package and its dependencies (all have wheels for this base: no compiler needed), then drop
# the in-tree build leftovers. The code stays owned by root: the app account can read it, not change it.
RUN pip install --no-cache-dir . \
    && rm -rf build ./*.egg-info

# Collect and compress static files into the image (WhiteNoise serves them). The key below exists only
# for this build step; DEBUG=0 so the production settings are the ones that get checked.
RUN SECRET_KEY=build-only-dummy-key-not-used-at-runtime DEBUG=0 \
    python manage.py collectstatic --no-input \
    && mkdir -p /app/var \
    && chown harbour:harbour /app/var

# HARBOUR_VAR_DIR (/app/var) is the only place the app account may write: file-backend mail when
# EMAIL_HOST is unset. compose.yaml mounts a named volume there.
USER 10001:10001

EXPOSE 8000

# No --proxy-headers: daphne would take the client's address from the leftmost X-Forwarded-For, which the
# client writes. Harbour reads the header itself, only as many hops deep as HARBOUR_TRUSTED_PROXIES says.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "config.asgi:application"]
