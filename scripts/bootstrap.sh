#!/usr/bin/env bash
# Create the virtual environment from the pinned lock file (requirements/lock.txt).
set -euo pipefail
venv="${1:-.venv}"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed; '$python' is $("$python" --version 2>&1 || echo missing)." >&2
  echo "       Install it (Debian/Ubuntu: apt-get install python3) or run: make PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -q && apt-get install -y -q python3-venv
  else
    echo "error: the Python venv module is missing. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
# Every package is checked against the hashes in the lock files: a changed file on the index is refused, not installed.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/bootstrap.txt
# Bytecode is compiled at install time so that commands start fast even where PYTHONDONTWRITEBYTECODE is set.
"$venv/bin/uv" pip install --python "$venv/bin/python" --compile-bytecode --quiet --require-hashes -r requirements/lock.txt
"$venv/bin/uv" pip install --python "$venv/bin/python" --compile-bytecode --quiet --no-deps -e .
echo "environment ready: $venv"
