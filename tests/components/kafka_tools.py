"""Apache Kafka's own CLI tools, run by their main classes from the Maven jars against any broker."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

KAFKA_TOOLS_VERSION = "4.1.1"
TOOL_BATCH = Path(__file__).with_name("ToolBatch.java")
MAIN_CLASSES = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-broker-api-versions": "org.apache.kafka.tools.BrokerApiVersionsCommand",
    "kafka-delete-records": "org.apache.kafka.tools.DeleteRecordsCommand",
    "kafka-log-dirs": "org.apache.kafka.tools.LogDirsCommand",
    "kafka-producer-perf-test": "org.apache.kafka.tools.ProducerPerformance",
    "kafka-consumer-perf-test": "org.apache.kafka.tools.ConsumerPerformance",
    "kafka-storage": "kafka.tools.StorageTool",
    "kafka-acls": "org.apache.kafka.tools.AclCommand",
    "kafka-transactions": "org.apache.kafka.tools.TransactionsCommand",
}
JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xms32m", "-Xmx256m",
             "-Djava.awt.headless=true"]
LOG4J = """log4j.rootLogger=ERROR, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=%p %c: %m%n
"""
# Kafka 4.x also ships log4j-core 2 (used directly by its Log4jController); without a configuration it prints
# "ERROR Reconfiguration failed: No configuration found" at start-up.
LOG4J2 = """status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = STDERR
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %p %c: %m%n
"""


def log_config_flags(workdir: Path, level: str = "ERROR") -> list[str]:
    """JVM flags pointing log4j 1 (reload4j, behind slf4j) and log4j 2 at configs in workdir, logging to stderr."""
    log4j = workdir / f"log4j-{level.lower()}.properties"
    log4j.write_text(LOG4J.replace("rootLogger=ERROR", f"rootLogger={level}"))
    log4j2 = workdir / f"log4j2-{level.lower()}.properties"
    log4j2.write_text(LOG4J2.replace("rootLogger.level = error", f"rootLogger.level = {level.lower()}"))
    return [f"-Dlog4j.configuration=file:{log4j}", f"-Dlog4j2.configurationFile={log4j2}"]


def kafka_cache() -> Path:
    base = os.environ.get("KW_KAFKA_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kafka-workbench")
    return Path(base)


def kafka_libs(version: str) -> Path:
    libs = kafka_cache() / f"kafka-{version}" / "libs"
    if not shutil.which("java"):
        pytest.skip("component missing: java (Apache Kafka needs Java 17)")
    if not (libs.is_dir() and any(libs.glob(f"kafka_2.13-{version}.jar"))):
        pytest.skip(f"component missing: Apache Kafka {version} jars in {libs} "
                    "(sh packaging/setup.sh test fetches them)")
    return libs


def kafka_streams_libs(version: str = "3.9.1") -> Path:
    libs = kafka_cache() / f"kafka-streams-{version}" / "libs"
    if not shutil.which("javac"):
        pytest.skip("component missing: javac (a JDK 17)")
    if not any(libs.glob(f"kafka-streams-{version}.jar")):
        pytest.skip(f"component missing: Kafka Streams {version} jars in {libs} "
                    "(sh packaging/setup.sh test fetches them)")
    return libs


# Kafka 3.9 still has these tools in the core jar, under their old class names
MAIN_CLASSES_3_9 = {**MAIN_CLASSES, "kafka-console-producer": "kafka.tools.ConsoleProducer",
                    "kafka-broker-api-versions": "kafka.admin.BrokerApiVersionsCommand"}


class KafkaCli:
    def __init__(self, libs: Path, workdir: Path, main_classes: dict[str, str] | None = None) -> None:
        self.libs = libs
        self.workdir = workdir
        self.log_flags = log_config_flags(workdir)
        self.main_classes = main_classes or MAIN_CLASSES

    def command(self, tool: str, *args: str) -> list[str]:
        main = self.main_classes[tool]
        return ["java", *JVM_FLAGS, *self.log_flags, "-cp", f"{self.libs}/*", main, *args]

    def run(self, tool: str, *args: str, input: str | None = None, timeout: float = 120,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.command(tool, *args), input=input, text=True, capture_output=True,
                                timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} exited {result.returncode}\n"
                                 f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
        return result

    def run_batch(self, tool: str, runs: list[list[str]],
                  timeout: float = 300) -> list[subprocess.CompletedProcess[str]]:
        """Run a tool once per argument list, all in one JVM (ToolBatch.java): one JVM start instead of one per
        run. Each result has the run's stdout, stderr and the exit status the tool asked for."""
        return self._batch(self.main_classes[tool], runs, runs, timeout)

    def run_tools(self, runs: list[tuple[str, list[str]]],
                  timeout: float = 300) -> list[subprocess.CompletedProcess[str]]:
        """Like run_batch, with a different tool per run: [(tool, args), ...], all in one JVM."""
        return self._batch("-", [[self.main_classes[tool], *args] for tool, args in runs], [a for _t, a in runs],
                           timeout)

    def _batch(self, main: str, lines: list[list[str]], runs: list[list[str]],
               timeout: float) -> list[subprocess.CompletedProcess[str]]:
        batch = Path(tempfile.mkdtemp(prefix="batch-", dir=self.workdir))
        runs_file = batch / "runs.tsv"
        if any("\t" in a or "\n" in a for args in lines for a in args):
            raise ValueError("ToolBatch arguments cannot hold tabs or newlines")
        runs_file.write_text("".join("\t".join(args) + "\n" for args in lines))
        cmd = ["java", *JVM_FLAGS, *self.log_flags, "-cp", f"{self.libs}/*", str(TOOL_BATCH), main,
               str(runs_file), str(batch)]
        done = subprocess.run(cmd, text=True, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise AssertionError(f"ToolBatch exited {done.returncode}\nstderr:\n{done.stderr[-3000:]}")
        results = [subprocess.CompletedProcess(args, int((batch / f"{n}.rc").read_text()),
                                               (batch / f"{n}.out").read_text(), (batch / f"{n}.err").read_text())
                   for n, args in enumerate(runs)]
        for n, result in enumerate(results):
            result.elapsed_ms = int((batch / f"{n}.ms").read_text())  # type: ignore[attr-defined]
        return results


@pytest.fixture(scope="session")
def kafka_cli(tmp_path_factory: pytest.TempPathFactory) -> KafkaCli:
    return KafkaCli(kafka_libs(KAFKA_TOOLS_VERSION), tmp_path_factory.mktemp("kafka-cli"))


@pytest.fixture(scope="session")
def kafka39_cli(tmp_path_factory: pytest.TempPathFactory) -> KafkaCli:
    """Kafka 3.9.1's tools: the release that still runs in ZooKeeper mode, as the tutorial's cluster does."""
    return KafkaCli(kafka_libs("3.9.1"), tmp_path_factory.mktemp("kafka39-cli"), MAIN_CLASSES_3_9)
