#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system packages, a .venv, the
# project editable with its test extras.  Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
APT_PACKAGES=(golang-go qemu-user binutils-mips-linux-gnu graphviz openssl)
# a minimal Debian may lack Python; Debian splits venv/ensurepip out of python3
if ! command -v "$PY" >/dev/null 2>&1; then
    APT_PACKAGES+=(python3 python3-venv)
elif ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
    APT_PACKAGES+=(python3-venv)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.ocp-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
    touch "$stamp"
fi
