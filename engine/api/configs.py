"""DescribeConfigs (32), AlterConfigs (33), IncrementalAlterConfigs (44) for topics and this broker.

Sources as Kafka reports them: TOPIC_CONFIG for a topic override,
DYNAMIC_BROKER_CONFIG for a broker value set at run time, STATIC_BROKER_CONFIG for
one from server.properties or --override, DEFAULT_CONFIG otherwise.
"""

from __future__ import annotations

from typing import Any

from kio.schema.errors import ErrorCode

from engine.api.context import RequestContext
from engine.broker import Broker, BrokerError
from engine.config import BROKER_PROPS, TOPIC_CONFIGS, Prop, TopicConfig, validate_topic_configs
from engine.protocol.codec import field

TOPIC, BROKER, BROKER_LOGGER = 2, 4, 8
TOPIC_CONFIG, DYNAMIC_BROKER, DYNAMIC_DEFAULT_BROKER, STATIC_BROKER, DEFAULT = 1, 2, 3, 4, 5
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
TYPE_BOOLEAN, TYPE_STRING, TYPE_INT, TYPE_LONG, TYPE_DOUBLE, TYPE_LIST = 1, 2, 3, 5, 6, 7

LONG_CONFIGS = frozenset({"retention.ms", "retention.bytes", "segment.ms", "delete.retention.ms",
                          "min.compaction.lag.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
                          "log.retention.ms", "log.retention.bytes", "log.roll.ms",
                          "log.retention.check.interval.ms", "log.flush.interval.messages", "log.flush.interval.ms",
                          "log.flush.scheduler.interval.ms", "log.flush.offset.checkpoint.interval.ms",
                          "max.compaction.lag.ms", "log.cleaner.delete.retention.ms",
                          "log.cleaner.min.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms",
                          "log.cleaner.backoff.ms", "log.cleaner.dedupe.buffer.size",
                          "transaction.abort.timed.out.transaction.cleanup.interval.ms",
                          "transactional.id.expiration.ms", "producer.id.expiration.ms"})


def _fmt(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def _type_of(name: str, value: Any, list_valued: bool = False) -> int:
    if list_valued or isinstance(value, list):
        return TYPE_LIST
    if isinstance(value, bool):
        return TYPE_BOOLEAN
    if isinstance(value, int):
        return TYPE_LONG if name in LONG_CONFIGS else TYPE_INT
    if isinstance(value, float):
        return TYPE_DOUBLE
    return TYPE_STRING


def _broker_source(broker: Broker, prop: str) -> int:
    if prop in broker.dynamic_configs:
        return DYNAMIC_BROKER
    if prop in broker.static_config.explicit:
        return STATIC_BROKER
    return DEFAULT


def _broker_synonyms(broker: Broker, prop: str) -> list[dict[str, Any]]:
    out = []
    if prop in broker.dynamic_configs:
        out.append({"name": prop, "value": broker.dynamic_configs[prop], "source": DYNAMIC_BROKER})
    if prop in broker.static_config.explicit:
        out.append({"name": prop, "value": _fmt(broker.static_config.values[prop]), "source": STATIC_BROKER})
    spec = next(p for p in BROKER_PROPS if p.name == prop)
    default = spec.default if spec.default is not None else _fmt(broker.config.values.get(prop))
    out.append({"name": prop, "value": default, "source": DEFAULT})
    return out


def describe_topic(broker: Broker, topic: str, keys: list[str] | None, synonyms: bool) -> list[dict[str, Any]]:
    rec = broker.topics[topic]
    out = []
    for spec in TOPIC_CONFIGS.values():
        if keys is not None and spec.name not in keys:
            continue
        value = broker.topic_config_value(topic, spec.name)
        syn: list[dict[str, Any]] = []
        if spec.name in rec.configs:
            source = TOPIC_CONFIG
            syn.append({"name": spec.name, "value": rec.configs[spec.name], "source": TOPIC_CONFIG})
        elif spec.broker_prop is not None:
            source = _broker_source(broker, spec.broker_prop)
        else:
            source = DEFAULT
        if spec.broker_prop is not None:
            syn += _broker_synonyms(broker, spec.broker_prop)
        elif not syn or syn[-1]["source"] != DEFAULT:
            syn.append({"name": spec.name, "value": spec.fixed_default, "source": DEFAULT})
        out.append({"name": spec.name, "value": _fmt(value), "read_only": False, "config_source": source,
                    "is_default": source == DEFAULT,
                    "is_sensitive": False, "synonyms": syn if synonyms else [],
                    "config_type": _type_of(spec.name, value, spec.list_valued), "documentation": spec.doc})
    return out


def describe_broker(broker: Broker, keys: list[str] | None, synonyms: bool) -> list[dict[str, Any]]:
    out = []
    for prop in BROKER_PROPS:
        if keys is not None and prop.name not in keys:
            continue
        value = broker.config.values.get(prop.name)
        syn = _broker_synonyms(broker, prop.name) if synonyms else []
        if prop.sensitive:  # passwords and keys are never sent, as Kafka's
            syn = [{**s, "value": None} for s in syn]
        out.append({"name": prop.name, "value": None if prop.sensitive else _fmt(value), "read_only": prop.read_only,
                    "config_source": _broker_source(broker, prop.name), "is_sensitive": prop.sensitive,
                    "is_default": _broker_source(broker, prop.name) == DEFAULT,
                    "synonyms": syn,
                    "config_type": _type_of(prop.name, value), "documentation": prop.doc})
    return out


def _is_this_broker(broker: Broker, name: str) -> bool:
    return name == "" or name == str(broker.node_id)


async def describe_configs(ctx: RequestContext, req: Any) -> dict[str, Any]:
    broker = ctx.broker
    synonyms = bool(field(req, "include_synonyms", False))
    results = []
    for r in req.resources:
        rtype, name = int(r.resource_type), r.resource_name
        keys = None if r.configuration_keys is None else list(r.configuration_keys)
        entry: dict[str, Any] = {"error_code": 0, "error_message": None, "resource_type": rtype,
                                 "resource_name": name, "configs": []}
        results.append(entry)
        if rtype == TOPIC:
            if name not in broker.topics:
                entry.update(error_code=ErrorCode.unknown_topic_or_partition,
                             error_message=f"Topic '{name}' does not exist.")
            else:
                entry["configs"] = describe_topic(broker, name, keys, synonyms)
        elif rtype == BROKER:
            if not _is_this_broker(broker, name):
                entry.update(error_code=ErrorCode.invalid_request,
                             error_message=f"Unexpected broker id, expected {broker.node_id} but received {name}")
            else:
                entry["configs"] = describe_broker(broker, keys, synonyms)
        elif rtype == BROKER_LOGGER:
            entry["configs"] = []
        else:
            entry.update(error_code=ErrorCode.invalid_request,
                         error_message=f"Unsupported resource type {rtype}")
    return {"throttle_time": 0, "results": results}


# -- altering -------------------------------------------------------------------------

def _apply_ops(current: dict[str, str], ops: list[tuple[str, int, str | None]],
               specs: dict[str, TopicConfig] | dict[str, Prop], what: str) -> dict[str, str]:
    new = dict(current)
    for name, op, value in ops:
        spec = specs.get(name)
        if spec is None:
            raise BrokerError(ErrorCode.invalid_config, f"Unknown {what} config name: {name}")
        list_valued = bool(getattr(spec, "list_valued", False))
        if op == SET:
            if value is None:
                raise BrokerError(ErrorCode.invalid_config, f"Null value not supported for {what} config: {name}")
            new[name] = value
        elif op == DELETE:
            new.pop(name, None)
        elif op in (APPEND, SUBTRACT):
            if not list_valued:
                raise BrokerError(ErrorCode.invalid_config,
                                  f"Config value append is not allowed for config key: {name}"
                                  if op == APPEND else f"Config value subtract is not allowed for config key: {name}")
            items = [x for x in (new.get(name) or "").split(",") if x]
            if not items and name not in new and isinstance(spec, TopicConfig):
                items = []
            for v in (value or "").split(","):
                v = v.strip()
                if not v:
                    continue
                if op == APPEND and v not in items:
                    items.append(v)
                elif op == SUBTRACT and v in items:
                    items.remove(v)
            if items:
                new[name] = ",".join(items)
            else:
                new.pop(name, None)
        else:
            raise BrokerError(ErrorCode.invalid_request, f"Unknown config operation {op}")
    return new


def _alter(ctx: RequestContext, req: Any, incremental: bool,
           zk_writes: list[tuple[dict[str, Any], str, dict[str, str]]]) -> dict[str, Any]:
    broker = ctx.broker
    validate_only = bool(field(req, "validate_only", False))
    out = []
    seen: set[tuple[int, str]] = set()
    for r in req.resources:
        rtype, name = int(r.resource_type), r.resource_name
        entry: dict[str, Any] = {"error_code": 0, "error_message": None, "resource_type": rtype,
                                 "resource_name": name}
        out.append(entry)
        if (rtype, name) in seen:
            entry.update(error_code=ErrorCode.invalid_request, error_message="Duplicate resource in request")
            continue
        seen.add((rtype, name))
        if incremental:
            ops = [(c.name, int(c.config_operation), c.value) for c in r.configs]
        else:
            ops = [(c.name, SET, c.value) for c in r.configs]
        try:
            if rtype == TOPIC:
                rec = broker.topics.get(name)
                if rec is None:
                    raise BrokerError(ErrorCode.unknown_topic_or_partition, f"Topic '{name}' does not exist.")
                base = dict(rec.configs) if incremental else {}
                new = _apply_ops(base, ops, TOPIC_CONFIGS, "topic")
                if broker.cluster is not None:  # ZooKeeper mode: /config/topics/<t> and a change notification
                    _parsed, err = validate_topic_configs(list(new.items()))
                    if err:
                        raise BrokerError(ErrorCode.invalid_config, err)
                    if not validate_only:
                        zk_writes.append((entry, name, new))
                else:
                    broker.set_topic_configs(name, new, validate_only)
            elif rtype == BROKER:
                if not _is_this_broker(broker, name):
                    raise BrokerError(ErrorCode.invalid_request,
                                      f"Unexpected broker id, expected {broker.node_id} but received {name}")
                specs = {p.name: p for p in BROKER_PROPS}
                base = dict(broker.dynamic_configs) if incremental else {}
                new = _apply_ops(base, ops, specs, "broker")
                broker.set_dynamic_configs(new, validate_only)
            else:
                raise BrokerError(ErrorCode.invalid_request, f"Unsupported resource type {rtype}")
        except BrokerError as exc:
            entry.update(error_code=exc.code, error_message=exc.message)
    return {"throttle_time": 0, "responses": out}


async def _alter_and_write(ctx: RequestContext, req: Any, incremental: bool) -> dict[str, Any]:
    zk_writes: list[tuple[dict[str, Any], str, dict[str, str]]] = []
    response = _alter(ctx, req, incremental, zk_writes)
    if zk_writes:
        from engine.cluster.admin import AdminError
        from engine.cluster.zk import ZkError

        assert ctx.broker.cluster is not None
        for entry, name, new in zk_writes:
            try:
                await ctx.broker.cluster.admin.alter_topic_configs(name, new, False)
            except AdminError as exc:
                entry.update(error_code=exc.code, error_message=exc.message)
            except ZkError as exc:
                entry.update(error_code=ErrorCode.request_timed_out, error_message=str(exc))
    return response


async def alter_configs(ctx: RequestContext, req: Any) -> dict[str, Any]:
    return await _alter_and_write(ctx, req, incremental=False)


async def incremental_alter_configs(ctx: RequestContext, req: Any) -> dict[str, Any]:
    return await _alter_and_write(ctx, req, incremental=True)
