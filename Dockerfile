# syntax=docker/dockerfile:1
#
# oversold in a container: a release build of the workspace (server + test_concurrent) on a small
# Debian runtime. docker-compose.yml runs two of these next to 5 Redis nodes, 3 etcd members and
# Postgres. The etcd strategy speaks etcd's JSON gateway over HTTP, so no protoc is needed here.
#
# Migrations and templates are compiled into the binary; static/ is copied for the files served
# from disk. The image binds 0.0.0.0:8080, so the server requires ADMIN_TOKEN (it refuses to
# listen off loopback without one); it also needs REDIS_URLS and usually DATABASE_URL. The easy
# way to run it with all of that is:   docker compose up --build

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the registry and target/ between builds (BuildKit, the default builder).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release -p oversold -p test_concurrent \
    && mkdir -p /out \
    && cp target/release/oversold target/release/test_concurrent /out/

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin oversold
WORKDIR /app
COPY --from=builder /out/oversold /out/test_concurrent /usr/local/bin/
COPY static/ /app/static/
# data/ is where the default DATABASE_URL (sqlite://data/oversold.db) puts its file.
RUN mkdir -p /app/data && chown oversold:oversold /app/data
USER oversold
ENV BIND=0.0.0.0:8080 \
    RUST_LOG=info
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=5 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${BIND##*:}/health" || exit 1
CMD ["oversold"]
