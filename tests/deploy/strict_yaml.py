"""YAML read as strictly as Compose and Kubernetes read it: a key repeated in one mapping is an
error (PyYAML silently keeps the last one; Compose's parser rejects the file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class DuplicateKey(yaml.constructor.ConstructorError):
    pass


class StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<" merges anchors; the merged keys may be overridden on purpose
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKey(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def load_all(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.load_all(fh, Loader=StrictLoader) if doc is not None]
