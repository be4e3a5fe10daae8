"""Every setting of the app, declared once with its type, default and description.

Values live in the store's `settings` table (one row per key, JSON-encoded), so the
rest of the code asks `settings.get(REQUEST_TIMEOUT)` and never spells a string key.
Unknown keys in the table are ignored, values of the wrong type fall back to the
default, so an older or newer database never breaks the app.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Generic, TypeVar

T = TypeVar("T", bool, int, float, str)


@dataclasses.dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    type: type[T]
    default: T
    description: str

    def coerce(self, value: Any) -> T:
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            return self.type(value)
        if isinstance(value, self.type) and not (self.type is int and isinstance(value, bool)):
            return value
        return self.default


REGISTRY: dict[str, Setting[Any]] = {}


def declare(key: str, type_: type[T], default: T, description: str) -> Setting[T]:
    setting = Setting(key, type_, default, description)
    REGISTRY[key] = setting
    return setting


REQUEST_TIMEOUT = declare("kafka.request_timeout_s", float, 10.0,
                          "Seconds an admin request to a Kafka cluster may take before it is reported as failed.")
PRODUCE_TIMEOUT = declare("kafka.produce_timeout_s", float, 30.0,
                          "Seconds a produced message may wait for its delivery before it is reported as failed "
                          "(librdkafka message.timeout.ms).")
ZK_TIMEOUT = declare("zookeeper.timeout_s", float, 10.0,
                     "Seconds to wait for a ZooKeeper connection or request.")
ZK_PAGE_SIZE = declare("zookeeper.page_size", int, 200,
                       "Children of a ZooKeeper node shown at once; more are loaded on demand.")
ZK_WATCH_BUDGET = declare("zookeeper.watch_budget", int, 200,
                          "Most ZooKeeper watches the browser keeps at once (only on nodes that are shown).")
THEME = declare("ui.theme", str, "light", "Colour theme: light or dark.")
KEEP_LOCAL_RUNNING = declare("local.keep_running", bool, False,
                             "Leave the Local broker running when the app exits.")
LOCAL_PORT = declare("local.port", int, 0, "Port of the Local broker, kept from its first start (0 before it: then "
                     "9092 when free, else any free port).")
SAMPLE_DATA_OFFERED = declare("local.sample_data_offered", bool, False,
                              "Whether the first-run offer to load sample data was already made.")
LAST_PROFILE = declare("ui.last_profile", str, "Local", "The connection opened at start.")
WINDOW_STATE = declare("ui.window_state", str, "", "The window's dock layout (Qt saveState, base64).")
WINDOW_GEOMETRY = declare("ui.window_geometry", str, "", "The window's size and position (Qt saveGeometry, base64).")
LAG_SAMPLE_INTERVAL = declare("groups.lag_sample_interval_s", float, 10.0,
                              "Seconds between two samples of the lag of the consumer groups on screen and of the "
                              "pinned groups (0 stops sampling).")
LAG_RETENTION = declare("groups.lag_retention_hours", float, 168.0,
                        "Hours of consumer-group lag history kept in the app's database; older samples are deleted.")
LOCAL_SECURED = declare("local.secured", bool, False,
                        "Start the Local broker secured: SASL_SSL with SCRAM (user admin, password in the OS keyring), "
                        "TLS from a CA of its own, and ACLs on.")
