# syntax=docker/dockerfile:1
# The shop's container images (README "Deploying"): two targets from one build.
#   app    gunicorn serving the shop (docker build --target app -t shop-app .)
#   proxy  nginx in front of it, with this release's static files (--target proxy)
# compose.yaml runs both with MongoDB and Redis.

FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# Runtime dependencies only (not the test tools), at the versions CI tested.
COPY requirements.txt constraints.txt deploy/runtime_requirements.py /tmp/build/
RUN python /tmp/build/runtime_requirements.py /tmp/build/requirements.txt > /tmp/build/runtime.txt \
    && pip install --no-cache-dir -r /tmp/build/runtime.txt -c /tmp/build/constraints.txt \
    && rm -rf /tmp/build

COPY . .

# Static files collected at build, so every container of a release has the same ones
# (the start-up check refuses to serve without them). The key only lets the settings load.
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret SQLITE_PATH=/tmp/collectstatic.sqlite3 \
        python manage.py collectstatic --noinput \
    && rm -f /tmp/collectstatic.sqlite3 \
    && python -m compileall -q /app

# Not root: a user of its own, owning nothing but /data (a SQLite file, if one is used).
RUN groupadd --system --gid 10001 shop \
    && useradd --system --uid 10001 --gid shop --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin shop \
    && mkdir /data \
    && chown shop:shop /data
USER 10001:10001

ENV GUNICORN_BIND=0.0.0.0:8000 \
    SQLITE_PATH=/data/db.sqlite3
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]

ENTRYPOINT ["gunicorn", "--config", "/app/deploy/gunicorn.conf.py", "shop.wsgi:application"]


FROM nginx:1.28-bookworm AS proxy

# Rendered by the image's entrypoint (envsubst) into /etc/nginx/conf.d/default.conf;
# only SHOP_* variables are substituted, nginx's own $variables are left alone.
ENV NGINX_ENVSUBST_FILTER=^SHOP_ \
    SHOP_LISTEN=8080 \
    SHOP_UPSTREAM=app:8000 \
    SHOP_STATIC_ROOT=/srv/shop/static \
    SHOP_ACCESS_LOG=/var/log/nginx/access.log \
    SHOP_SERVER_INCLUDES=/etc/nginx/shop.d/*.conf \
    SHOP_FORWARDED_PROTO=\$scheme

COPY deploy/nginx/shop.conf.template /etc/nginx/templates/default.conf.template
COPY --from=app /app/staticfiles /srv/shop/static
RUN mkdir -p /etc/nginx/shop.d
EXPOSE 8080
