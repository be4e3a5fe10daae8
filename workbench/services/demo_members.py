"""What the demo cluster is made of: its members (three ZooKeeper nodes, three brokers), the files each starts from
(zoo.cfg with the ensemble's server.N lines; server.properties shaped like the Kafka tutorial's), what the machine
must have for them, and the probes that tell how a member is doing (ZooKeeper's srvr, a broker's Metadata).
Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.services import wire
from workbench.services.connection import ConnectionSpec
from workbench.services.threads import EXECUTOR

SIZE = 3
ZK_JAR = Path("/usr/share/java/zookeeper.jar")  # Debian's zookeeper package; its manifest names its dependencies
SLF4J_BINDING = Path("/usr/share/java/slf4j-simple.jar")  # without a binding ZooKeeper writes no log at all
JVM_OPTIONS = ["-Xms16m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"]
TICK_MS = 2000
SESSION_TIMEOUT_MS = 6000  # Kafka: 18 s. A killed broker is noticed after this (ZooKeeper allows 2 ticks at least)
READY_TIMEOUT = 60.0  # seconds for a node to serve or a broker to answer
STOP_TIMEOUT = 20.0  # seconds from SIGTERM to SIGKILL
NICENESS = 10  # the members run at a lower priority than the app (nice(1) execs, so the pid stays the member's)
PROFILE_NAME = "Demo cluster"
INSTALL_COMMAND = "sudo apt-get install default-jre-headless zookeeper"


@dataclasses.dataclass
class Member:
    """One process of the cluster: a ZooKeeper node (ident = its myid) or a broker (ident = its broker.id)."""

    kind: str  # "zookeeper" or "broker"
    ident: int
    port: int  # ZooKeeper's client port, or the broker's listener
    dir: Path
    quorum_port: int = 0
    election_port: int = 0
    state: str = "stopped"
    message: str = ""
    role: str = ""  # a ZooKeeper node's Mode (leader, follower) while it serves
    pid: int | None = None
    log_start: int = 0  # size of its log when it was last launched: its ready line is looked for after it
    proc: subprocess.Popen[bytes] | None = dataclasses.field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"ZooKeeper {self.ident}" if self.kind == "zookeeper" else f"Broker {self.ident}"

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.ident}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.dir / ("zookeeper.log" if self.kind == "zookeeper" else "broker.log")

    @property
    def config_path(self) -> Path:
        return self.dir / ("zoo.cfg" if self.kind == "zookeeper" else "server.properties")


def missing_requirements(java: str | None = None, zk_jar: Path | None = None) -> str:
    """"" when ZooKeeper can run here, else the sentence saying what to install."""
    java = java if java is not None else (shutil.which("java") or "")
    jar = zk_jar if zk_jar is not None else ZK_JAR
    missing = [what for what, ok in (("Java (Debian package default-jre-headless)", bool(java)),
                                     ("ZooKeeper (Debian package zookeeper)", jar.is_file())) if not ok]
    if not missing:
        return ""
    return (f"The demo cluster runs ZooKeeper, which needs {' and '.join(missing)}. Install them with "
            f"\"{INSTALL_COMMAND}\" (or run \"sh packaging/setup.sh app\" in a source checkout), then start again.")


def zoo_cfg(node: Member, ensemble: list[Member]) -> str:
    servers = "".join(f"server.{n.ident}=127.0.0.1:{n.quorum_port}:{n.election_port}\n" for n in ensemble)
    return (f"# ZooKeeper node {node.ident} of the Kafka Workbench demo cluster\n"
            f"tickTime={TICK_MS}\ninitLimit=10\nsyncLimit=5\ndataDir={node.dir / 'data'}\n"
            f"clientPort={node.port}\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n"
            "4lw.commands.whitelist=ruok,srvr,mntr,stat,conf\nmaxClientCnxns=0\n" + servers)


def server_properties(broker: Member, zk_connect: str) -> str:
    return (f"# Broker {broker.ident} of the Kafka Workbench demo cluster (as the Kafka tutorial's, on loopback)\n"
            f"broker.id={broker.ident}\n"
            f"listeners=PLAINTEXT://{broker.address}\nadvertised.listeners=PLAINTEXT://{broker.address}\n"
            f"log.dirs={broker.dir / 'data'}\n"
            "offsets.topic.replication.factor=3\ntransaction.state.log.replication.factor=3\n"
            "transaction.state.log.min.isr=2\n"
            f"zookeeper.connect={zk_connect}\nzookeeper.session.timeout.ms={SESSION_TIMEOUT_MS}\n"
            "group.initial.rebalance.delay.ms=0\n")


async def zk_mode(port: int, timeout: float = 1.0) -> str:
    """The Mode line of a ZooKeeper node's `srvr` answer (leader, follower, standalone), or "" if it does not serve."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    except (TimeoutError, OSError):
        return ""
    try:
        writer.write(b"srvr")
        answer = await asyncio.wait_for(reader.read(4096), timeout)
    except (TimeoutError, OSError):
        return ""
    finally:
        writer.close()
    for line in answer.decode(errors="replace").splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return ""


METADATA = 3
_schemas: asyncio.Future[None] | None = None


def _load_metadata_schemas() -> None:
    """Import Metadata v1's schemas and build their codecs (~50 ms the first time): off the GUI thread."""
    from kio.index import load_request_schema, load_response_schema
    from kio.serial import entity_reader, entity_writer

    req, resp = load_request_schema(METADATA, 1), load_response_schema(METADATA, 1)
    entity_writer(req)
    entity_writer(req.__header_schema__)
    entity_reader(resp)
    entity_reader(resp.__header_schema__)


async def broker_view(port: int, timeout: float = 2.0) -> tuple[set[int], int]:
    """The brokers a broker knows of and the controller it names (Metadata v1, no topics); empty and -1 if it does
    not answer."""
    global _schemas
    if _schemas is None or (_schemas.done() and _schemas.exception() is not None):
        _schemas = asyncio.ensure_future(asyncio.get_running_loop().run_in_executor(EXECUTOR, _load_metadata_schemas))
    await asyncio.shield(_schemas)
    try:
        conn = await wire.BrokerConnection.open(ConnectionSpec(PROFILE_NAME, f"127.0.0.1:{port}"), "127.0.0.1", port,
                                                timeout)
    except (OSError, TimeoutError, WorkbenchError):
        return set(), -1
    try:
        resp = await conn.request(METADATA, 1, {"topics": ()})
    except (OSError, TimeoutError, asyncio.IncompleteReadError, WorkbenchError):
        return set(), -1
    finally:
        conn.close()
    return {int(b.node_id) for b in resp.brokers}, int(resp.controller_id)
