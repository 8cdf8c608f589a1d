#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on a free loopback port.
# Source this file, then: postgres_start; ...; postgres_stop.
# Exports ENTSOE_TEST_POSTGRES_URL (asyncpg) for the test suite.

postgres_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$dir" ] || [ ! -x "$dir/pg_ctl" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "PostgreSQL is not installed; install Debian's postgresql (as root)" >&2
            return 1
        fi
        echo "installing Debian's postgresql ..." >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    echo "$dir"
}

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

postgres_start() {
    local bin port
    bin=$(postgres_bin)
    PG_TEST_DIR=$(mktemp -d /tmp/entsoe-pg.XXXXXX)
    chmod 755 "$PG_TEST_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_TEST_DIR"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_postgres "$bin/initdb" -D "$PG_TEST_DIR/data" -A trust -U postgres --no-sync >/dev/null
    as_postgres "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w -o \
        "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
        start >/dev/null
    as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres entsoe_test
    PG_TEST_BIN=$bin
    export ENTSOE_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/entsoe_test"
    echo "PostgreSQL test cluster on 127.0.0.1:$port" >&2
}

postgres_stop() {
    if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ]; then
        as_postgres "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        rm -rf "$PG_TEST_DIR"
    fi
}
