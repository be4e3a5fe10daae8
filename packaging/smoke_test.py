"""Smoke test of an installer, as a new user meets it: install, start under Xvfb with a fresh home, see the Local
broker running on 9092, load the sample data, take screenshots, quit, remove, and check no process is left.

    .venv/bin/python packaging/smoke_test.py deb build/installers/kafka-workbench_<v>_<arch>.deb
    .venv/bin/python packaging/smoke_test.py tarball build/installers/kafka-workbench-<v>-linux-<machine>.tar.gz

`deb` installs the package with apt (root), `tarball` unpacks the archive into a temporary
folder. The app runs with a fresh HOME, no Python on its PATH and no PYTHONPATH; it is
driven as a person would drive it (xdotool answers the sample-data question, Ctrl+Q
quits). Kafka clients (confluent-kafka, from this script's own environment) check what the
broker serves. Prints the cold-start figures (launch to first window; to the Local broker
answering on 9092) and writes screenshots to build/installers/screenshots/. Every wait is
bounded; any failure exits non-zero.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "kafka-workbench"
PORT = 9092
SAMPLE_TOPICS = {"orders": 3, "customers": 1, "payments": 2}
SAMPLE_MESSAGES = 98
SHOTS = ROOT / "build" / "installers" / "screenshots"


class SmokeFailure(Exception):
    pass


def say(text: str) -> None:
    print(f"[smoke] {text}", flush=True)


def wait_for(what: str, check: Callable[[], object], timeout: float, every: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def processes_under(path: Path) -> list[tuple[int, str]]:
    """Processes whose executable or command line lies in the installed app's folder."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            exe = os.readlink(entry / "exe")
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if exe.startswith(str(path)) or str(path) in cmd:
            found.append((int(entry.name), cmd.strip()))
    return found


class Xvfb:
    def __init__(self) -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24",
                                      "-nolisten", "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as f:
            number = f.readline().strip()
        if not number:
            raise SmokeFailure("Xvfb did not start")
        self.display = f":{number}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def xdotool(display: str, *args: str) -> str:
    out = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True,
                         timeout=30)
    return out.stdout.strip() if out.returncode == 0 else ""


def press(display: str, window: str, keys: str) -> None:
    """Keys typed into a window as a person would (XTEST, to the focused window: Qt ignores synthetic events sent to
    a window, and there is no window manager to activate one)."""
    xdotool(display, "windowfocus", "--sync", window)
    xdotool(display, "key", "--clearmodifiers", keys)


def screenshot(display: str, path: Path) -> None:
    """The whole screen, grabbed by a small Qt program of this script's environment on the same X display."""
    code = ("import sys\nfrom PySide6.QtGui import QGuiApplication\n"
            "app = QGuiApplication(['shot', '-platform', 'xcb'])\n"
            "ok = app.primaryScreen().grabWindow(0).save(sys.argv[1], 'PNG')\nsys.exit(0 if ok else 1)\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DISPLAY": display}
    env.pop("QT_QPA_PLATFORM", None)
    subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=True, timeout=60)
    say(f"screenshot: {path.relative_to(ROOT)}")


def kafka_state(bootstrap: str) -> tuple[dict[str, int], int, dict[int, int]]:
    """Topics (name -> partitions), the total of their messages, and the `billing` group's committed offsets."""
    from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    md = admin.list_topics(timeout=5)
    topics = {name: len(t.partitions) for name, t in md.topics.items() if name in SAMPLE_TOPICS}
    total = 0
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "smoke-watermarks", "log_level": 0})
    try:
        for name, count in topics.items():
            for p in range(count):
                low, high = consumer.get_watermark_offsets(TopicPartition(name, p), timeout=5)
                total += high - low
    finally:
        consumer.close()
    committed: dict[int, int] = {}
    with contextlib.suppress(Exception):
        result = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions("billing")])["billing"].result(5)
        committed = {tp.partition: tp.offset for tp in result.topic_partitions if tp.offset >= 0}
    return topics, total, committed


def answers_on(port: int) -> bool:
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient({"bootstrap.servers": f"127.0.0.1:{port}", "log_level": 0}).list_topics(timeout=0.5)
    except Exception:
        return False
    return True


def check_helpers(exe: Path, env: dict[str, str]) -> None:
    """The bundle's other modes: a spawned worker process (--self-check), and a scan of the sample topic `orders` by
    the bundle's scan worker (this script's copy of the app plans the scan and reads the worker's frames)."""
    out = subprocess.run([str(exe), "--self-check"], env=env, capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SmokeFailure(f"--self-check failed ({out.returncode}): {out.stdout[-500:]} {out.stderr[-2000:]}")
    say(out.stdout.strip())
    sys.path.insert(0, str(ROOT))
    import asyncio

    from workbench.services import scan
    from workbench.services.admin import AdminService
    from workbench.services.connection import ConnectionSpec
    from workbench.services.scan_request import ScanRequest

    scan.worker_command = lambda: ([str(exe), "--run-scan-worker"], dict(env))  # the bundle's worker, not ours

    async def read_orders() -> int:
        service = scan.ScanService(AdminService(ConnectionSpec("Local", f"127.0.0.1:{PORT}"), 10))
        request = ScanRequest("orders")
        plan = await service.prepare(request)
        with tempfile.TemporaryDirectory(prefix="wb-smoke-scan-") as where:
            running = service.start(request, plan, lambda _entries, _progress: None, str(Path(where) / "spill"))
            outcome = await asyncio.wait_for(running.wait(), 60)
        scan.WORKERS.close()
        if outcome.reason != "done":
            raise SmokeFailure(f"the bundle's scan worker stopped with {outcome.reason}: {outcome.sentence}")
        return int(outcome.progress.matched)
    matched = asyncio.run(read_orders())
    if matched != 60:
        raise SmokeFailure(f"the bundle's scan worker found {matched} records in orders, not 60")
    say("the bundle's scan worker read the 60 sample orders")


def run_app(kind: str, command: list[str], installed: Path, home: Path) -> dict[str, float]:
    """Start the app, check it, quit it; returns the timings."""
    if not port_free(PORT):
        raise SmokeFailure(f"port {PORT} is in use on this machine: free it to check the Local broker's default")
    xvfb = Xvfb()
    figures: dict[str, float] = {}
    app: subprocess.Popen[bytes] | None = None
    try:
        # a fresh user: nothing of this script's environment (no virtualenv, no PYTHONPATH), no session bus
        env = {"HOME": str(home), "DISPLAY": xvfb.display, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        log = open(home / "app.log", "wb")  # noqa: SIM115 (closed below)
        started = time.monotonic()
        app = subprocess.Popen(command, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
        window = str(wait_for("the main window", lambda: xdotool(xvfb.display, "search", "--onlyvisible", "--name",
                                                                  "^Kafka Workbench$").split("\n")[0], 60))
        figures["launch to first window (s)"] = round(time.monotonic() - started, 2)
        say(f"window {window} shown after {figures['launch to first window (s)']} s")
        wait_for(f"the Local broker answering on {PORT}", lambda: answers_on(PORT), 60)
        figures["launch to Local broker running (s)"] = round(time.monotonic() - started, 2)
        say(f"Local broker running on {PORT} after {figures['launch to Local broker running (s)']} s")
        state = json.loads((home / ".local" / "share" / NAME / "local-broker" / "broker.json").read_text())
        if state["port"] != PORT:
            raise SmokeFailure(f"the Local broker took port {state['port']}, not {PORT}")
        exe = os.readlink(f"/proc/{state['pid']}/exe")
        if not exe.startswith(str(installed)):
            raise SmokeFailure(f"the broker runs {exe}, not the installed app's own executable")
        say(f"broker pid {state['pid']} runs {exe}")

        # the first-run question: load sample data? (Enter answers Yes, its default button)
        question = str(wait_for("the sample-data question", lambda: xdotool(
            xvfb.display, "search", "--onlyvisible", "--name", "^Sample data$").split("\n")[0], 60))
        screenshot(xvfb.display, SHOTS / f"{kind}-1-first-start.png")
        press(xvfb.display, question, "Return")

        def loaded() -> bool:
            topics, total, committed = kafka_state(f"127.0.0.1:{PORT}")
            return topics == SAMPLE_TOPICS and total == SAMPLE_MESSAGES and len(committed) == SAMPLE_TOPICS["orders"]
        wait_for("the sample data (3 topics, 98 messages, the lagging group)", loaded, 60, every=0.3)
        say("sample data loaded: 3 topics, 98 messages, group billing committed")
        time.sleep(1.0)  # let the panes repaint with the data before the screenshot (a picture, not a check)
        screenshot(xvfb.display, SHOTS / f"{kind}-2-local-broker.png")
        press(xvfb.display, window, "ctrl+2")
        time.sleep(1.0)
        screenshot(xvfb.display, SHOTS / f"{kind}-3-topics.png")
        check_helpers(Path(exe), env)

        quit_started = time.monotonic()
        press(xvfb.display, window, "ctrl+q")
        wait_for("the window to disappear", lambda: not xdotool(xvfb.display, "search", "--onlyvisible", "--name",
                                                                 "^Kafka Workbench$"), 10)
        figures["Ctrl+Q to window gone (s)"] = round(time.monotonic() - quit_started, 2)
        code = app.wait(30)
        figures["Ctrl+Q to app exited (s)"] = round(time.monotonic() - quit_started, 2)
        if code != 0:
            raise SmokeFailure(f"the app exited with code {code}")
        if not port_free(PORT):
            raise SmokeFailure(f"port {PORT} is still taken after the app quit")
        left = processes_under(installed)
        if left:
            raise SmokeFailure(f"processes left after quitting: {left}")
        say(f"quit cleanly (exit code 0); nothing left running from {installed}")
        log.close()
        return figures
    except BaseException:
        if app is not None and app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait(10)
        for pid, _cmd in processes_under(installed):  # the broker runs in a session of its own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            say("app log:\n" + (home / "app.log").read_text(errors="replace")[-4000:])
        raise
    finally:
        xvfb.stop()


def smoke_deb(deb: Path, drop_caches: bool) -> dict[str, float]:
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", str(deb.resolve())], check=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
    installed = Path("/opt") / NAME
    try:
        for path in ("/usr/bin/kafka-workbench", "/usr/share/applications/io.github.kafka_workbench.KafkaWorkbench"
                     ".desktop", "/usr/share/icons/hicolor/256x256/apps/kafka-workbench.png",
                     "/usr/share/metainfo/io.github.kafka_workbench.KafkaWorkbench.metainfo.xml"):
            if not Path(path).exists():
                raise SmokeFailure(f"the package did not install {path}")
        say(f"installed {deb.name} with apt")
        out = subprocess.run(["/usr/bin/kafka-workbench-broker", "--help"], capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
        if out.returncode != 0 or not out.stdout.startswith("usage: kafka-workbench-broker"):
            raise SmokeFailure(f"kafka-workbench-broker --help failed: {out.stdout[-300:]} {out.stderr[-1000:]}")
        if drop_caches:
            subprocess.run(["sync"], check=True)
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
            say("page cache dropped: a cold start")
        with tempfile.TemporaryDirectory(prefix="wb-smoke-home-") as home:
            return run_app("deb", ["/usr/bin/kafka-workbench"], installed, Path(home))
    finally:
        subprocess.run(["apt-get", "purge", "-y", "-q", NAME], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        problems = []
        if installed.exists() or Path("/usr/bin/kafka-workbench").exists():
            problems.append("files left after removing the package")
        left = processes_under(installed)
        if left:
            problems.append(f"processes left after removing the package: {left}")
        if problems and sys.exc_info()[0] is None:
            raise SmokeFailure("; ".join(problems))
        say("; ".join(problems) if problems else "package removed; no files and no processes left")


def smoke_tarball(tarball: Path, drop_caches: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="wb-smoke-unpacked-") as where:
        with tarfile.open(tarball) as tar:
            tar.extractall(where, filter="tar")
        top = next(Path(where).iterdir())
        say(f"unpacked {tarball.name} into {top}")
        if drop_caches:
            subprocess.run(["sync"], check=True)
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        with tempfile.TemporaryDirectory(prefix="wb-smoke-home-") as home:
            figures = run_app("tarball", [str(top / NAME)], top, Path(home))
        shutil.rmtree(top)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("deb", "tarball"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--drop-caches", action="store_true", help="drop the page cache first (root): a cold start")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"smoke test needs {tool} (Debian packages xvfb and xdotool)")
    try:
        figures = (smoke_deb if args.kind == "deb" else smoke_tarball)(args.path, args.drop_caches)
    except SmokeFailure as exc:
        say(f"FAILED: {exc}")
        return 1
    size = args.path.stat().st_size / 2**20
    say(f"PASSED {args.kind}: {args.path.name} ({size:.1f} MiB); " + "; ".join(f"{k} {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
