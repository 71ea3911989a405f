"""The documentation says what the code does."""

from pathlib import Path

from tasks.sources.contract import DATASETS
from tests.e2e import screenshots

ROOT = Path(__file__).resolve().parents[2]


def test_data_contract_documents_every_dataset_and_column():
    text = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    for dataset in DATASETS.values():
        assert f"`{dataset.name}`" in text, dataset.name
        for col in dataset.columns:
            assert f"| `{col.name}` | {col.label} |" in text, f"{dataset.name}.{col.name}"


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands[:2] == ["make run", "make test"]


def test_deploy_guide_takes_fewer_than_ten_commands():
    text = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    block = text.split("## In production, on one machine", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) < 10


def test_every_screenshot_of_the_operator_guide_is_one_a_browser_test_retakes():
    """`make screenshots` retakes what the guide shows: each image is in docs/images and a test of tests/e2e
    writes it; an image nothing retakes would go stale unseen."""
    shown = screenshots.shown()
    assert len(shown) >= 5
    assert [name for name in shown if not (screenshots.IMAGES / name).is_file()] == []
    assert screenshots.untaken(shown) == []
    assert screenshots.untaken(["review-form-440103-KGXJ.png", "a-page-no-test-takes.png"]) == [
        "a-page-no-test-takes.png"]
