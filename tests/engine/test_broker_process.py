"""The broker's command line, like kafka-server-start.sh: properties, clear refusals, one ready line, clean stop."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.components.engine_proc import ROOT, EngineProcess, free_port


def run_engine(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_unknown_and_invalid_properties_are_refused(tmp_path: Path) -> None:
    out = run_engine("--override", "log.dirs=" + str(tmp_path), "--override", "log.segmnet.bytes=10")
    assert out.returncode == 2
    assert "unknown property 'log.segmnet.bytes'" in out.stderr
    out = run_engine("--override", "num.partitions=-3")
    assert out.returncode == 2 and "invalid value '-3' for num.partitions" in out.stderr
    missing = tmp_path / "nope.properties"
    out = run_engine(str(missing))
    assert out.returncode == 2 and f"cannot read {missing}" in out.stderr


def test_zookeeper_mode_refuses_what_it_cannot_secure_cluster_wide(tmp_path: Path) -> None:
    zk = f"zookeeper.connect=127.0.0.1:{free_port()}"  # refused before any connection is tried
    out = run_engine("--override", f"log.dirs={tmp_path}", "--override", zk, "--override",
                     "authorizer.class.name=kafka.security.authorizer.AclAuthorizer")
    assert out.returncode == 2 and "authorizer.class.name is not supported in ZooKeeper mode" in out.stderr
    out = run_engine("--override", f"log.dirs={tmp_path}", "--override", zk, "--override",
                     f"listeners=SASL_PLAINTEXT://127.0.0.1:{free_port()}")
    assert out.returncode == 2 and "inter-broker listener (SASL_PLAINTEXT) must be PLAINTEXT" in out.stderr


def test_properties_file_ready_line_and_clean_stop(tmp_path: Path) -> None:
    port = free_port()
    props = tmp_path / "server.properties"
    props.write_text(f"listeners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={tmp_path / 'data'}\nnode.id=7\n"
                     "num.network.threads=3\n")
    proc = subprocess.Popen([sys.executable, "-m", "engine", str(props)], cwd=ROOT, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    try:
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "broker started" in line:
                break
        ready = [ln for ln in lines if "Kafka Workbench broker started" in ln]
        assert len(ready) == 1, lines
        assert f"127.0.0.1:{port}" in ready[0] and "node.id=7" in ready[0]
        assert any("num.network.threads has no effect" in ln for ln in lines)
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait(15) == 0
        assert "stopped cleanly" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stderr.close()
    assert (tmp_path / "data" / "meta.properties").read_text().count("node.id=7") == 1


def test_a_second_broker_on_the_same_data_dir_is_refused(engine: Any) -> None:
    out = run_engine("--override", f"log.dirs={engine.data_dir}", "--override",
                     f"listeners=PLAINTEXT://127.0.0.1:{free_port()}")
    assert out.returncode == 1
    assert "is in use by another broker process" in out.stderr


def test_a_busy_port_is_reported(engine: Any, tmp_path: Path) -> None:
    out = run_engine("--override", f"log.dirs={tmp_path}", "--override", f"listeners=PLAINTEXT://{engine.bootstrap}")
    assert out.returncode == 1
    assert f"cannot listen on PLAINTEXT://{engine.bootstrap}" in out.stderr


def test_sigint_stops_cleanly_too(tmp_path: Path) -> None:
    eng = EngineProcess(tmp_path / "data")
    eng.start()
    assert eng.proc is not None
    eng.proc.send_signal(signal.SIGINT)
    assert eng.proc.wait(15) == 0
    assert "stopped cleanly" in eng.tail()
