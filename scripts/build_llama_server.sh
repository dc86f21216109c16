#!/usr/bin/env bash
# Build llama.cpp's own `llama-server` (parallel slots, continuous batching) from the source
# inside the llama-cpp-python sdist that requirements.txt pins, so the server and the in-process
# model are the same llama.cpp. CPU build, no downloads at run time, no web UI, no TLS.
#
#   scripts/build_llama_server.sh [VENV]     → VENV/bin/llama-server (VENV defaults to .venv)
#
# About 10 minutes on two cores; nothing is done when the binary of that version is there.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv}"
TARGET="$VENV/bin/llama-server"
VERSION="$(sed -n 's/^llama-cpp-python\(\[[a-z]*\]\)\?==\([0-9.]*\).*/\2/p' requirements.txt)"
[ -n "$VERSION" ] || { echo "error: no pinned llama-cpp-python in requirements.txt" >&2; exit 2; }
if [ -x "$TARGET" ] && [ "$(cat "$TARGET.version" 2>/dev/null)" = "$VERSION" ]; then
    echo "llama-server: $TARGET (llama-cpp-python $VERSION) is there"
    touch "$TARGET"
    exit 0
fi
for tool in g++ make; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed to build llama-server" \
        "(Debian: apt-get install g++ make)" >&2; exit 2; }
done
# CMake from PyPI when the system has none (llama-cpp-python's own build does the same).
command -v cmake >/dev/null || [ -x "$VENV/bin/cmake" ] || "$VENV/bin/pip" install -q cmake
CMAKE="$(command -v cmake || echo "$VENV/bin/cmake")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# The sdist from PyPI's simple index, checked against the hash it lists (pip download would
# build the sdist's metadata first, which takes minutes).
"$VENV/bin/python" - "$VERSION" "$WORK/sdist.tar.gz" <<'PY'
import hashlib, re, sys, urllib.request
version, target = sys.argv[1], sys.argv[2]
page = urllib.request.urlopen("https://pypi.org/simple/llama-cpp-python/").read().decode()
found = re.search(rf'href="([^"]*/llama_cpp_python-{re.escape(version)}\.tar\.gz)#sha256=([0-9a-f]+)"', page)
if found is None:
    sys.exit(f"error: PyPI lists no sdist of llama-cpp-python {version}")
urllib.request.urlretrieve(found.group(1), target)
if hashlib.sha256(open(target, "rb").read()).hexdigest() != found.group(2):
    sys.exit("error: the downloaded sdist does not match PyPI's sha256")
PY
tar xzf "$WORK/sdist.tar.gz" -C "$WORK"
SOURCE="$WORK/llama_cpp_python-$VERSION/vendor/llama.cpp"
"$CMAKE" -S "$SOURCE" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF > "$WORK/configure.log"
"$CMAKE" --build "$WORK/build" --target llama-server -j "$(nproc)"
install -m 755 "$WORK/build/bin/llama-server" "$TARGET"
echo "$VERSION" > "$TARGET.version"
echo "llama-server: built $TARGET from llama-cpp-python $VERSION"
