"""Build the installers: the PyInstaller bundle, then a .deb (dpkg-deb) and a portable .tar.gz on Linux.

    .venv/bin/python packaging/build_installers.py [--skip-bundle]

Output in build/installers/: kafka-workbench_<version>_<arch>.deb and
kafka-workbench-<version>-linux-<machine>.tar.gz. The bundle itself is in
build/pyinstaller/dist/kafka-workbench/ (on Windows and macOS that folder, or the .app,
is what gets packaged: see packaging/README.md).

The .deb installs the bundle to /opt/kafka-workbench, the commands kafka-workbench and
kafka-workbench-broker to /usr/bin, and the desktop entry, AppStream metadata and the
hicolor icons to /usr/share (Debian's triggers refresh the desktop and icon caches).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import __version__  # noqa: E402
from workbench.about import APP_ID  # noqa: E402

NAME = "kafka-workbench"
BUILD = ROOT / "build"
BUNDLE = BUILD / "pyinstaller" / "dist" / NAME
OUT = BUILD / "installers"
RESOURCES = ROOT / "resources"
PREFIX = Path("opt") / NAME

# what the bundle takes from the system (glibc, the GL and X client libraries) and what Qt needs around it (fonts,
# keyboard maps); the rest of Qt's libraries travel inside the bundle, but depending on Debian's copies as well is
# what keeps the xcb platform plugin working where a bundled one would not fit the system's X server
DEPENDS = ("libc6 (>= 2.36), libgl1, libegl1, libxcb1, libx11-6, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, "
           "libxcb-icccm4, libxcb-keysyms1, libxcb-shape0, libxcb-randr0, libxcb-render-util0, libxcb-image0, "
           "libfontconfig1, libdbus-1-3, libglib2.0-0, xkb-data, fonts-dejavu-core | fonts-freefont-ttf")
RECOMMENDS = "default-jre-headless | java17-runtime-headless, zookeeper"  # the demo cluster: ZooKeeper runs on Java
SUGGESTS = "kcat"
DESCRIPTION = """\
Desktop workbench for Apache Kafka with a bundled local broker
 Kafka Workbench browses and changes Apache Kafka clusters: topics and
 partitions, messages (key search, filters, export and import), producing,
 consumer groups with lag history and offset resets, brokers and cluster
 health, Schema Registry and ZooKeeper.
 .
 It comes with its own Kafka-compatible broker, so it works offline out of the
 box: the Local connection listens on 127.0.0.1:9092 for the app and for your
 own programs. ZooKeeper and Java are recommended for the demo cluster.
"""


def say(text: str) -> None:
    print(f"[installers] {text}", flush=True)


def build_bundle() -> None:
    say("PyInstaller: building the bundle (about a minute)")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(BUNDLE.parent), "--workpath", str(BUILD / "pyinstaller" / "work"),
                    str(ROOT / "packaging" / f"{NAME}.spec")], check=True, cwd=ROOT)
    say(f"bundle built in {time.monotonic() - started:.0f} s: {BUNDLE}")


def tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def share_files(dest: Path) -> None:
    """Desktop entry, AppStream metadata and icons in the freedesktop layout under dest (a `share` folder)."""
    (dest / "applications").mkdir(parents=True, exist_ok=True)
    shutil.copy2(RESOURCES / f"{APP_ID}.desktop", dest / "applications" / f"{APP_ID}.desktop")
    (dest / "metainfo").mkdir(parents=True, exist_ok=True)
    shutil.copy2(RESOURCES / f"{APP_ID}.metainfo.xml", dest / "metainfo" / f"{APP_ID}.metainfo.xml")
    shutil.copytree(RESOURCES / "icons" / "hicolor", dest / "icons" / "hicolor", dirs_exist_ok=True)
    scalable = dest / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy2(RESOURCES / f"{NAME}.svg", scalable / f"{NAME}.svg")


def launcher(target: str, mode: str = "") -> str:
    args = f" {mode}" if mode else ""
    return f'#!/bin/sh\nexec {target}{args} "$@"\n'


def build_deb() -> Path:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    stage = BUILD / "deb" / f"{NAME}_{__version__}_{arch}"
    shutil.rmtree(stage, ignore_errors=True)
    say(f"staging the .deb in {stage}")
    shutil.copytree(BUNDLE, stage / PREFIX, symlinks=True)
    bindir = stage / "usr" / "bin"
    bindir.mkdir(parents=True)
    exe = f"/{PREFIX}/{NAME}"
    for name, mode in ((NAME, ""), (f"{NAME}-broker", "--run-broker")):
        (bindir / name).write_text(launcher(exe, mode))
        (bindir / name).chmod(0o755)
    share_files(stage / "usr" / "share")
    doc = stage / "usr" / "share" / "doc" / NAME
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        f"Upstream-Name: {NAME}\n\nFiles: *\nCopyright: Kafka Workbench authors\nLicense: Apache-2.0\n"
        " On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n"
        " The bundle in /opt/kafka-workbench also contains Qt (LGPL-3.0), PySide6 (LGPL-3.0), librdkafka\n"
        " (BSD-2-Clause), Python (PSF-2.0) and the other libraries the app is built with, under their licenses.\n")
    for path in stage.rglob("*"):  # dpkg-deb wants sane modes: no group/other write
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022)
    installed_kib = tree_size(stage) // 1024
    (stage / "DEBIAN").mkdir()
    (stage / "DEBIAN" / "control").write_text(
        f"Package: {NAME}\nVersion: {__version__}\nArchitecture: {arch}\n"
        "Maintainer: Kafka Workbench authors <kafka-workbench@users.noreply.github.com>\n"
        f"Installed-Size: {installed_kib}\nSection: devel\nPriority: optional\n"
        f"Depends: {DEPENDS}\nRecommends: {RECOMMENDS}\nSuggests: {SUGGESTS}\n"
        f"Description: {DESCRIPTION}")
    OUT.mkdir(parents=True, exist_ok=True)
    deb = OUT / f"{NAME}_{__version__}_{arch}.deb"
    say(f"dpkg-deb: writing {deb.name}")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", f"--threads-max={os.cpu_count() or 1}", "--build",
                    str(stage), str(deb)], check=True)
    return deb


def build_tarball() -> Path:
    top = f"{NAME}-{__version__}"
    tarball = OUT / f"{top}-linux-{platform.machine()}.tar.gz"
    stage = BUILD / "tarball" / top
    shutil.rmtree(stage.parent, ignore_errors=True)
    shutil.copytree(BUNDLE, stage, symlinks=True)
    share_files(stage / "share")
    (stage / "README.txt").write_text(
        f"Kafka Workbench {__version__}, portable: runs from this folder, nothing to install.\n\n"
        f"    ./{NAME}                 the app\n"
        f"    ./{NAME} --run-broker    the bundled broker on its own (--help for its options)\n\n"
        "The Local broker listens on 127.0.0.1:9092 (or a free port when 9092 is taken, kept from then on).\n"
        "Set KAFKA_WORKBENCH_HOME to keep settings and the broker's data in a folder of your choice.\n"
        "share/ holds the desktop entry and icons, for a desktop menu entry of your own.\n")
    OUT.mkdir(parents=True, exist_ok=True)
    say(f"writing {tarball.name}")
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(stage, arcname=top)
    return tarball


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-bundle", action="store_true", help="package the bundle already built")
    args = parser.parse_args()
    os.chdir(ROOT)
    started = time.monotonic()
    if not args.skip_bundle or not BUNDLE.exists():
        build_bundle()
    if sys.platform != "linux":
        say("not on Linux: the bundle is built; package it as packaging/README.md describes")
        return 0
    outputs = [build_deb(), build_tarball()]
    say(f"bundle: {tree_size(BUNDLE) / 2**20:.0f} MiB unpacked")
    for out in outputs:
        say(f"{out.relative_to(ROOT)}: {out.stat().st_size / 2**20:.1f} MiB")
    say(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
