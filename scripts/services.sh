#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1 for the tests, starting
# them when they are installed but stopped, and installs curl and jq (and
# HAProxy, for the load scenarios) when missing. Under CI=true a service that
# cannot be had is an error; elsewhere the tests that need it say so.
set -u

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

# The README's curl session (cmd/jarvis TestReadmeCurlSession) runs with
# Debian's curl and jq; the load scenarios' tests (cmd/jarvis-load) put
# the replicas behind Debian's HAProxy.
for tool in curl jq haproxy; do
  if ! command -v "$tool" >/dev/null && ! [ -x "/usr/sbin/$tool" ]; then
    echo "installing Debian's $tool for the tests"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null
    else
      sudo apt-get update -qq && sudo apt-get install -y -qq "$tool" >/dev/null
    fi
  fi
done

fail=0
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432"; fail=1; }
fi
if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    for _ in $(seq 1 10); do redis_up && break; sleep 1; done
  fi
  redis_up || { echo "Redis is not reachable on 127.0.0.1:6379"; fail=1; }
fi
if [ "$fail" = 1 ] && [ "${CI:-}" = "true" ]; then
  echo "CI needs PostgreSQL and Redis: failing" >&2
  exit 1
fi
exit 0
