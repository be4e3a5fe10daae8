"""The JAAS configuration text Kafka takes in `sasl.jaas.config`, parsed.

    org.apache.kafka.common.security.plain.PlainLoginModule required
        username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";

One or more login modules, each `ClassName flag option=value ...;`, values quoted
(with backslash escapes) or bare. A PLAIN listener's users are its `user_<name>` options.
"""

from __future__ import annotations

import dataclasses
import re

from engine.config import ConfigError

FLAGS = ("required", "requisite", "sufficient", "optional")
_TOKEN = re.compile(r'\s*(?:"((?:\\.|[^"\\])*)"|([^\s=;"]+)|(=)|(;))', re.S)


@dataclasses.dataclass(frozen=True)
class LoginModule:
    name: str
    flag: str
    options: dict[str, str]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ConfigError(f"sasl.jaas.config: cannot read {text[pos:pos + 30]!r}")
        pos = m.end()
        if m.group(1) is not None:
            out.append(("value", re.sub(r"\\(.)", r"\1", m.group(1))))
        elif m.group(2) is not None:
            out.append(("word", m.group(2)))
        elif m.group(3):
            out.append(("=", "="))
        else:
            out.append((";", ";"))
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse_jaas(text: str) -> list[LoginModule]:
    tokens = _tokens(text)
    modules: list[LoginModule] = []
    i = 0
    while i < len(tokens):
        if i + 1 >= len(tokens) or tokens[i][0] != "word" or tokens[i + 1][1].lower() not in FLAGS:
            raise ConfigError("sasl.jaas.config: expected 'LoginModuleClass required option=\"value\" ...;'")
        name, flag = tokens[i][1], tokens[i + 1][1].lower()
        i += 2
        options: dict[str, str] = {}
        while i < len(tokens) and tokens[i][0] != ";":
            if i + 2 >= len(tokens) or tokens[i][0] != "word" or tokens[i + 1][0] != "=" or \
                    tokens[i + 2][0] not in ("word", "value"):
                raise ConfigError(f"sasl.jaas.config: expected option=\"value\" in module {name}")
            options[tokens[i][1]] = tokens[i + 2][1]
            i += 3
        if i >= len(tokens):
            raise ConfigError(f"sasl.jaas.config: the module {name} must end with ';'")
        i += 1
        modules.append(LoginModule(name, flag, options))
    if not modules:
        raise ConfigError("sasl.jaas.config is empty")
    return modules


def plain_users(modules: list[LoginModule]) -> dict[str, str]:
    """user_<name>="<password>" options of the PLAIN login module."""
    users: dict[str, str] = {}
    for m in modules:
        for key, value in m.options.items():
            if key.startswith("user_") and len(key) > 5:
                users[key[5:]] = value
    return users
