"""Every rule's severity, pinned to a reviewed list: demoting a fatal rule to a warning (or the reverse) in
the registry is a change to the gate that a reviewer must see here too, not a silent edit of a JSON file."""

from __future__ import annotations

from tasks.quality.rules import load_rules

# Reviewed: which rules refuse a department-year (fatal) and which only warn. docs/data-quality.md lists why.
REVIEWED = {
    "FIN-001": "fatal", "FIN-002": "fatal", "FIN-003": "fatal", "FIN-004": "fatal", "FIN-005": "fatal",
    "FIN-006": "fatal", "FIN-007": "fatal", "FIN-008": "fatal",
    "REC-001": "fatal", "REC-002": "fatal", "REC-003": "fatal", "REC-004": "fatal", "REC-005": "fatal",
    "REC-006": "fatal", "REC-007": "fatal", "REC-008": "warning", "REC-009": "warning", "REC-010": "fatal",
    "REC-011": "warning",
    "REG-001": "fatal", "REG-002": "fatal", "REG-003": "fatal", "REG-004": "fatal", "REG-005": "fatal",
    "REG-006": "warning",
    "PRF-001": "fatal", "PRF-002": "fatal", "PRF-003": "fatal", "PRF-004": "fatal", "PRF-005": "warning",
    "PRF-006": "fatal", "PRF-007": "warning", "PRF-008": "warning", "PRF-009": "warning",
    "PRJ-001": "fatal", "PRJ-002": "fatal", "PRJ-003": "fatal", "PRJ-004": "warning", "PRJ-005": "warning",
    "PRJ-006": "warning", "PRJ-007": "warning", "PRJ-008": "warning",
    "STA-001": "fatal", "STA-002": "warning", "STA-003": "warning", "STA-004": "fatal",
}


def test_every_rule_has_its_reviewed_severity():
    found = {r.rule_id: r.severity for r in load_rules()}
    assert set(found) == set(REVIEWED), "a rule was added or removed: review its severity here"
    changed = {k: (REVIEWED[k], v) for k, v in found.items() if REVIEWED[k] != v}
    assert not changed, f"severity changed (reviewed, registry): {changed}"


def test_the_keys_promotion_leaves_to_the_gate_are_checked_by_fatal_rules():
    """Promotion does not check again the keys a gate rule checks over the same rows (``GATE_CHECKED_KEYS``):
    that rule must refuse, or a repeated key would reach a table that holds no index to refuse it (the payments',
    on DuckDB and PostgreSQL: migrations 0010 and 0016)."""
    from tasks.warehouse.promote import GATE_CHECKED_KEYS

    found = {r.rule_id: r.severity for r in load_rules()}
    assert GATE_CHECKED_KEYS and {rule: found.get(rule) for rule in GATE_CHECKED_KEYS.values()} == {
        rule: "fatal" for rule in GATE_CHECKED_KEYS.values()}
