#!/usr/bin/env bash
# Find or build the `bitcoind` the chain suite and the drills run against.
#
# Prints the path of a bitcoind on stdout (nothing when skipped) and one line per
# stage on stderr.  Order of preference:
#   1. $BITCOIND, if set (must be an executable file);
#   2. a `bitcoind` on PATH;
#   3. the cache, ~/.cache/ocp/bitcoind-<py-bitcoinkernel pin>-core<Core version>/bin/
#      ($OCP_CACHE_DIR overrides ~/.cache/ocp; the pin fixes the Core version);
#   4. a build from source: the sdist of the py-bitcoinkernel version pinned in
#      pyproject.toml vendors Bitcoin Core's whole tree (depend/bitcoin), so the
#      node built is the same Core as the kernel the embedded chain links.  Only the
#      bitcoind and bitcoin-cli targets are built (no GUI, wallet, tests, bench, fuzz,
#      IPC, ZMQ); the result is moved into the cache in one rename, so an
#      interrupted build never leaves a half cache.
# OCP_NO_BITCOIND=1 skips all of this (the bitcoind half of the suite then skips).
# Safe to run any number of times; concurrent runs wait for one build.
set -euo pipefail
cd "$(dirname "$0")/.."

T0=""  # set when a build starts: its stages then print the seconds since
say() { echo "bitcoind: ${T0:+[+$(( $(date +%s) - T0 ))s] }$*" >&2; }
die() { echo "bitcoind: error: $*" >&2; exit 1; }

if [ "${OCP_NO_BITCOIND:-}" = "1" ]; then
    say "OCP_NO_BITCOIND=1: not looking for a node; the bitcoind half of the suite is SKIPPED"
    exit 0
fi

if [ -n "${BITCOIND:-}" ]; then
    [ -f "$BITCOIND" ] && [ -x "$BITCOIND" ] || die "BITCOIND=$BITCOIND is not an executable file"
    say "using BITCOIND=$BITCOIND"
    echo "$BITCOIND"
    exit 0
fi
if on_path=$(command -v bitcoind 2>/dev/null); then
    say "using $on_path (on PATH)"
    echo "$on_path"
    exit 0
fi

PIN=$(sed -n 's/.*"py-bitcoinkernel==\([^"]*\)".*/\1/p' pyproject.toml)
[ -n "$PIN" ] || die "no exact py-bitcoinkernel==VERSION pin found in pyproject.toml"
CACHE_ROOT=${OCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ocp}
cached() {  # the cached bitcoind for this pin, whichever Core it vendors
    local found
    for found in "$CACHE_ROOT"/bitcoind-"$PIN"-core*/bin/bitcoind; do
        [ -x "$found" ] && { echo "$found"; return 0; }
    done
    return 1
}
if node=$(cached); then
    say "using cached $node"
    echo "$node"
    exit 0
fi

mkdir -p "$CACHE_ROOT"
# one build at a time per cache; a second run waits, then finds the cache filled
exec 9>"$CACHE_ROOT/.bitcoind-$PIN.lock"
if command -v flock >/dev/null 2>&1; then
    flock -n 9 || { say "another build holds $CACHE_ROOT/.bitcoind-$PIN.lock; waiting"; flock 9; }
fi
if node=$(cached); then
    say "using cached $node (built by a concurrent run)"
    echo "$node"
    exit 0
fi

say "not found; building Bitcoin Core from the py-bitcoinkernel==$PIN sdist into $CACHE_ROOT"
T0=$(date +%s)

# build dependencies (Debian names); sqlite is only needed with the wallet, which is off
APT_PACKAGES=(build-essential cmake pkg-config libboost-dev libevent-dev)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    say "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
    say "build dependencies present (${APT_PACKAGES[*]})"
fi

WORK=$(mktemp -d "$CACHE_ROOT/.build-$PIN.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && PY=.venv/bin/python
say "downloading the py-bitcoinkernel==$PIN sdist"
"$PY" -m pip download -q --no-binary :all: --no-deps "py-bitcoinkernel==$PIN" -d "$WORK/sdist" >&2 \
    || die "pip could not download the py-bitcoinkernel==$PIN sdist"
sdist=$(ls "$WORK"/sdist/*.tar.gz)
tar -xzf "$sdist" -C "$WORK"
SRC=$(ls -d "$WORK"/py_bitcoinkernel-*/depend/bitcoin)
[ -f "$SRC/CMakeLists.txt" ] || die "the sdist has no depend/bitcoin/CMakeLists.txt"
version_part() { sed -n "s/^set(CLIENT_VERSION_$1 \([0-9]*\))/\1/p" "$SRC/CMakeLists.txt"; }
CORE="$(version_part MAJOR).$(version_part MINOR).$(version_part BUILD)"
DEST="$CACHE_ROOT/bitcoind-$PIN-core$CORE"
say "vendored Bitcoin Core $CORE; configuring (bitcoind and bitcoin-cli only)"

cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_BITCOIN_BIN=OFF -DBUILD_DAEMON=ON -DBUILD_CLI=ON -DBUILD_GUI=OFF \
    -DBUILD_TESTS=OFF -DBUILD_TX=OFF -DBUILD_UTIL=OFF -DBUILD_BENCH=OFF \
    -DBUILD_FUZZ_BINARY=OFF -DBUILD_KERNEL_LIB=OFF -DBUILD_UTIL_CHAINSTATE=OFF \
    -DENABLE_WALLET=OFF -DENABLE_IPC=OFF -DWITH_ZMQ=OFF -DWITH_USDT=OFF \
    -DENABLE_EXTERNAL_SIGNER=OFF -DWITH_CCACHE=OFF -DINSTALL_MAN=OFF \
    -DWITH_EMBEDDED_ASMAP=OFF >"$WORK/configure.log" 2>&1 \
    || { tail -n 30 "$WORK/configure.log" >&2; die "cmake configure failed"; }

jobs=$(nproc 2>/dev/null || echo 2)
compile_start=$(date +%s)
say "compiling with -j$jobs (minutes; log in $WORK/build.log while it runs)"
cmake --build "$WORK/build" --target bitcoind bitcoin-cli -j"$jobs" >"$WORK/build.log" 2>&1 \
    || { tail -n 30 "$WORK/build.log" >&2; die "build failed"; }

STAGE="$WORK/install"
mkdir -p "$STAGE/bin"
for b in bitcoind bitcoin-cli; do
    install -m 755 "$WORK/build/bin/$b" "$STAGE/bin/$b"
    strip "$STAGE/bin/$b" 2>/dev/null || true
done
"$STAGE/bin/bitcoind" -version >/dev/null || die "the built bitcoind does not run"
echo "$CORE" >"$STAGE/CORE_VERSION"
echo "py-bitcoinkernel==$PIN" >"$STAGE/SOURCE"
rm -rf "$DEST"
mv "$STAGE" "$DEST"  # same file system: one rename, the cache is whole or absent
say "built Bitcoin Core $CORE (compile $(( $(date +%s) - compile_start ))s); cached at $DEST"
echo "$DEST/bin/bitcoind"
