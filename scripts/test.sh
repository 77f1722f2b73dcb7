#!/usr/bin/env bash
# Runs the whole suite on SQLite, then again on PostgreSQL.
# PostgreSQL: $POP_TEST_DATABASE_URL, or the server at 127.0.0.1:5432 when one answers.
set -u
cd "$(dirname "$0")/.."
BIN=.venv/bin
which="${1:-all}"
status=0
export PYTHONDONTWRITEBYTECODE=1

run_suite() {  # $1 = label, $2 = database url
  local label="$1" url="$2" tmp
  tmp=$(mktemp -d)
  echo "=== Suite on $label ==="
  # A hung test must not eat CI's whole budget: each half is bounded (POP_TEST_TIMEOUT seconds), and a
  # test still running after 300 s gets every thread's stack printed (which test, where it waits).
  local fg=""; [ -t 0 ] && fg=--foreground  # at a terminal, Ctrl-C still reaches pytest
  POP_DATABASE_URL="$url" POP_DATA_DIR="$tmp" timeout $fg -k 30 "${POP_TEST_TIMEOUT:-1800}" \
    $BIN/pytest -p no:cacheprovider -q -o faulthandler_timeout=300 tests
  local rc=$?
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "=== Suite on $label STOPPED after ${POP_TEST_TIMEOUT:-1800} s (POP_TEST_TIMEOUT): a test hung, see the stacks above ==="
  fi
  [ $rc -eq 0 ] || status=1
  rm -rf "$tmp"
}

if [ "$which" = all ] || [ "$which" = sqlite ]; then
  db_dir=$(mktemp -d)
  run_suite "SQLite" "sqlite:///$db_dir/pop-test.sqlite3"
  rm -rf "$db_dir"
fi

if [ "$which" = all ] || [ "$which" = postgres ]; then
  url="${POP_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
  if $BIN/python - "$url" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL unreachable at {sys.argv[1]}: {exc}")
    sys.exit(1)
PY
  then
    run_suite "PostgreSQL" "$url"
  else
    echo "=== PostgreSQL half NOT RUN: no server answered at $url (set POP_TEST_DATABASE_URL) ==="
    if [ "${CI:-}" = "true" ]; then echo "In CI a PostgreSQL server is required."; status=1; fi
  fi
fi
exit $status
