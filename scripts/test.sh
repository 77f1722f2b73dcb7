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
  POP_DATABASE_URL="$url" POP_DATA_DIR="$tmp" $BIN/pytest -p no:cacheprovider -q tests || status=1
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
