#!/usr/bin/env bash
# Runs before `npm test` (the `pretest` script): makes sure the real services the tests talk to
# are up on loopback — PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379, starting them
# when they are installed but stopped — and that a livekit-server binary exists for the
# end-to-end tests, that Chromium and the built playground page exist for the browser test.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

wait_until() {
  local what="$1"
  shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "test-setup: ${what} did not become ready within 60 s" >&2
  return 1
}

postgres_ready() { pg_isready -q -h 127.0.0.1 -p 5432; }
redis_ready() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! postgres_ready; then
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "${version}" ]; then
    echo "test-setup: PostgreSQL is not running on 127.0.0.1:5432 and is not installed" >&2
    exit 1
  fi
  echo "test-setup: starting PostgreSQL ${version}" >&2
  pg_ctlcluster --skip-systemctl-redirect "${version}" main start
  wait_until "PostgreSQL on 127.0.0.1:5432" postgres_ready
fi

if ! redis_ready; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "test-setup: Redis is not running on 127.0.0.1:6379 and is not installed" >&2
    exit 1
  fi
  echo "test-setup: starting Redis" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_until "Redis on 127.0.0.1:6379" redis_ready
fi

# The simulated caller of the voice scenarios speaks real speech rendered by espeak-ng.
if ! command -v espeak-ng >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "test-setup: installing espeak-ng for the voice scenarios" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null
  else
    echo "test-setup: espeak-ng is missing (apt-get install espeak-ng); the voice scenarios will fail" >&2
  fi
fi

# The playground's browser test drives Debian's Chromium (test/support/browser.ts).
if ! [ -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "test-setup: installing chromium for the playground browser test" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test-setup: chromium is missing (apt-get install chromium); the playground browser test will be skipped" >&2
  fi
fi

# The page the browser test opens; `npm install` builds it, this covers a checkout that skipped it.
if ! [ -f dist/public/playground/index.html ]; then
  echo "test-setup: building the playground page" >&2
  node scripts/build-playground.ts >/dev/null
fi

# Outside CI a machine without Go still runs every other test; the end-to-end tests then say
# they were skipped and why. In CI a missing binary fails them (test/support/livekit-server.ts).
if command -v go >/dev/null 2>&1 || [ "${CI:-}" = "true" ]; then
  bash scripts/install-livekit-server.sh >/dev/null
else
  echo "test-setup: Go is not installed, so the LiveKit end-to-end tests will be skipped" >&2
fi
