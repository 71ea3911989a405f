"""The reviewed suite files load into Great Expectations and carry the registry's metadata."""

import pytest

from tasks.quality.rules import CATEGORIES, SUITES, read_suite, rules_of
from tasks.quality.rundb import check_views, view_datasets


@pytest.mark.parametrize("name", SUITES)
def test_every_suite_loads_into_great_expectations(name):
    import great_expectations as gx

    import tasks.quality.custom_expectations  # noqa: F401

    raw = read_suite(name)
    suite = gx.ExpectationSuite(**raw)
    assert suite.name == name
    assert len(suite.expectations) == len(raw["expectations"]) > 0
    for rule in rules_of(raw):
        assert rule.label and rule.message and rule.category in CATEGORIES
        assert rule.severity in ("fatal", "warning")
        assert rule.view in check_views(), f"{rule.rule_id} names an unknown view {rule.view}"
        assert rule.rule_id.split("-")[0] in {"FIN", "PRF", "PRJ", "STA", "REG", "REC"}


def test_the_datasets_each_rule_view_reads_come_from_its_sql():
    """Provenance names the rules that checked a figure through the datasets their views read, found in
    the SQL itself (directly, or through the int_* views)."""
    reads = view_datasets()
    assert set(reads) == set(check_views())
    assert reads["ledger_vs_lines"] == ("budget_lines", "payments")
    assert reads["enterprises"] == ("applications", "enterprises", "investment_projects")
    assert reads["figure_scale"] == ("investment_projects", "summary")
    assert reads["summary_items"] == ("summary",)
    assert all(reads.values()), [v for v, d in reads.items() if not d]
