"""The settings that change results are one list, read by the rerun fingerprint and by the gate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tasks.quality.gate import gate_parameters
from tasks.settings import Settings

CHANGED = {"ledger_tolerance_wan": Decimal("0.05"), "yoy_warning_bound": 2.5, "jump_warning_factor": 7.0,
           "sheets": {"budget_lines": "预算执行"}, "closed_years": [2022], "review": True}


def test_every_result_setting_is_a_setting():
    assert set(Settings.RESULT_SETTINGS) <= set(Settings.model_fields)


@pytest.mark.parametrize("name", Settings.RESULT_SETTINGS)
def test_each_result_setting_changes_the_fingerprint_parts(name, tmp_path):
    base = Settings()
    if isinstance(getattr(base, name), Path):  # a file setting: its content counts
        other = tmp_path / "changed.yaml"
        other.write_text(getattr(base, name).read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        changed = base.with_overrides(**{name: other})
    else:
        changed = base.with_overrides(**{name: CHANGED[name]})
    assert changed.result_settings()[name] != base.result_settings()[name]
    assert set(base.result_settings()) == set(Settings.RESULT_SETTINGS)


def test_the_gate_reads_its_parameters_from_the_result_settings():
    params = gate_parameters(Settings().with_overrides(**CHANGED), 2023)
    assert params["year"] == 2023
    assert params["ledger_tolerance_fen"] == 50_000 and params["ledger_tolerance_neg_fen"] == -50_000
    assert params["yoy_bound"] == 2.5 and params["jump_factor"] == 7.0


@pytest.mark.parametrize(("name", "value"), [("run_memory_limit", "abc"), ("run_memory_limit", ""),
                                             ("run_memory_limit", "50%"), ("warehouse_memory_limit", "lots"),
                                             ("warehouse_memory_limit", "-1")])
def test_a_memory_limit_that_is_not_a_size_is_refused_naming_the_setting(name, value):
    with pytest.raises(ValueError, match=f"SELFEVAL_{name.upper()}="):
        Settings(**{name: value})


def test_memory_limits_take_sizes_and_the_warehouse_may_have_none():
    s = Settings(run_memory_limit=" 1.5GB ", warehouse_memory_limit="")
    assert s.run_memory_limit == "1.5GB" and s.warehouse_memory_limit is None
    assert Settings(warehouse_memory_limit="512MiB").warehouse_memory_limit == "512MiB"
