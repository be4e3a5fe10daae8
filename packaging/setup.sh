#!/bin/sh
# One entry point for the README's commands:
#   sh packaging/setup.sh app         set up, then start the workbench on the bundled broker
#   sh packaging/setup.sh test        set up everything the tests need, then run the whole suite
#   sh packaging/setup.sh installers  build the .deb and the portable .tar.gz, then smoke-test both
# Idempotent: each step checks first and is skipped when already done.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
MODE=${1:-app}
[ $# -gt 0 ] && shift
VENV="$ROOT/.venv"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/kafka-workbench"
KAFKA_VERSIONS="3.9.1 4.1.1"
STREAMS_VERSION="3.9.1"
APICURIO_VERSION="3.0.9"

say() { printf '[setup] %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        say "need root for: $*"; exit 1; fi
}

APT_UPDATED=
apt_install() {
    missing=
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    say "installing system packages:$missing"
    if [ -z "$APT_UPDATED" ]; then as_root apt-get update -q; APT_UPDATED=1; fi
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

QT_RUNTIME="libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libfontconfig1
 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
 libxcb-render-util0 libxcb-image0 libglib2.0-0 fonts-dejavu-core"

pick_python() {
    for c in python3.13 python3.12 python3.11 python3; do
        if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$c"; return 0; fi
    done
    return 1
}

setup_python() {
    extra=$1
    PY=$(pick_python || true)
    if [ -z "$PY" ]; then apt_install python3 python3-venv; PY=python3; fi
    if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then apt_install python3-venv; fi
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    stamp="$VENV/.installed-$extra"
    want=$(cat "$ROOT/pyproject.toml" | cksum | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        say "installing Python packages into $VENV"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[$extra]"
        echo "$want" > "$stamp"
    fi
}

fetch_kafka() {
    for v in $KAFKA_VERSIONS; do
        dest="$CACHE/kafka-$v/libs"
        [ -f "$CACHE/kafka-$v/.complete" ] && continue
        say "fetching Apache Kafka $v jars from Maven Central into $dest"
        rm -rf "$dest"
        mvn -q -B -f "$ROOT/tests/components/kafka-pom.xml" -Dkafka.version="$v" \
            dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest"
        touch "$CACHE/kafka-$v/.complete"
    done
    # Kafka Streams (and RocksDB) for the engine's exactly-once Streams test.
    dest="$CACHE/kafka-streams-$STREAMS_VERSION/libs"
    if [ ! -f "$CACHE/kafka-streams-$STREAMS_VERSION/.complete" ]; then
        say "fetching Kafka Streams $STREAMS_VERSION jars from Maven Central into $dest"
        rm -rf "$dest"
        mvn -q -B -f "$ROOT/tests/components/kafka-streams-pom.xml" -Dkafka.version="$STREAMS_VERSION" \
            dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest"
        touch "$CACHE/kafka-streams-$STREAMS_VERSION/.complete"
    fi
}

fetch_apicurio() {
    home="$CACHE/apicurio-$APICURIO_VERSION"
    [ -f "$home/.complete" ] && return 0
    say "fetching Apicurio Registry $APICURIO_VERSION from Maven Central into $home"
    rm -rf "$home"
    mkdir -p "$home/download"
    mvn -q -B -f "$ROOT/tests/components/apicurio-pom.xml" -Dapicurio.version="$APICURIO_VERSION" \
        dependency:copy -DoutputDirectory="$home/download"
    tar -xzf "$home/download/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$home"
    rm -rf "$home/download"
    touch "$home/.complete"
}

case "$MODE" in
app)
    # zookeeper and a JRE: the Local pane's demo cluster runs a ZooKeeper ensemble of three nodes on Java
    apt_install $QT_RUNTIME zookeeper default-jre-headless
    setup_python app
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
        apt_install xvfb xauth
        say "no display found: starting the app inside a virtual X server (xvfb-run)"
        exec xvfb-run -a "$VENV/bin/kafka-workbench" "$@"
    fi
    exec "$VENV/bin/kafka-workbench" "$@"
    ;;
test)
    apt_install $QT_RUNTIME zookeeper kcat xvfb xauth default-jre-headless default-jdk-headless maven
    setup_python test
    fetch_kafka
    fetch_apicurio
    cd "$ROOT"
    export KW_KAFKA_CACHE="$CACHE"
    if [ $# -eq 0 ]; then  # the whole suite: lint first (with arguments, only the tests asked for run)
        say "ruff and mypy"
        "$VENV/bin/ruff" check engine workbench tests packaging
        "$VENV/bin/mypy"
    fi
    exec xvfb-run -a "$VENV/bin/python" -m pytest "$@"
    ;;
installers)
    # PyInstaller bundle, .deb (dpkg-deb) and .tar.gz in build/installers/; then each is installed (the .deb with
    # apt, which needs root) or unpacked, started under Xvfb with a fresh home, checked and removed
    apt_install $QT_RUNTIME xvfb xauth xdotool
    setup_python installers
    cd "$ROOT"
    "$VENV/bin/python" packaging/build_installers.py "$@"
    passed=0
    for kind in deb tarball; do
        if [ "$kind" = deb ]; then artefact=$(ls build/installers/*.deb); else artefact=$(ls build/installers/*.tar.gz); fi
        "$VENV/bin/python" packaging/smoke_test.py "$kind" "$artefact"
        passed=$((passed + 1))
    done
    echo "installers: $passed passed, 0 failed"
    ;;
*)
    echo "usage: sh packaging/setup.sh app|test|installers [args...]" >&2; exit 2 ;;
esac
