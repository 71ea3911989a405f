"""Create the alerting automations of deploy/automations.yaml on a Prefect server.

The file names the notification block by a placeholder; this fills in the id of the block the
operator chose by name (``<block-type>/<name>``) and replaces automations of the same name, so
running it again is safe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tasks.settings import PROJECT_ROOT

AUTOMATIONS_FILE = PROJECT_ROOT / "deploy" / "automations.yaml"
PLACEHOLDER = "{{ notification_block }}"


def definitions(path: Path, block_document_id: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = data.get("automations", [data]) if isinstance(data, dict) else data
    for item in items:
        for action in item.get("actions", []):
            if action.get("block_document_id") == PLACEHOLDER:
                action["block_document_id"] = block_document_id
    return items


def create_automations(block: str, path: Path = AUTOMATIONS_FILE) -> list[str]:
    """Create (or replace) the automations; returns their names."""
    from prefect.automations import Automation
    from prefect.blocks.core import Block

    loaded: Any = Block.load(block)
    block_id = str(loaded._block_document_id)
    names = []
    for item in definitions(path, block_id):
        for existing in _by_name(item["name"]):
            existing.delete()
        Automation.model_validate(item).create()
        names.append(item["name"])
    return names


def _by_name(name: str) -> list[Any]:
    from prefect.automations import Automation

    try:
        found: Any = Automation.read(name=name)
    except ValueError:
        return []
    return found if isinstance(found, list) else [found]
