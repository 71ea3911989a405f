"""The renders in processes of their own (a core each: ``render_processes_from``) give the same bytes as in
threads of the run's process, really run elsewhere (one part in the run's own process), in a process started
as the run begins and closed while the run goes on to publish the scores (gone when the run ends)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SAMPLE


def run(tmp: Path, name: str) -> Path:
    from flows.self_evaluation import self_evaluation

    state = self_evaluation(year=2022, warehouse_url=f"duckdb:///{tmp}/{name}.duckdb", output_dir=str(tmp / name),
                            narrative_dir=str(SAMPLE / "narrative"), return_state=True)
    assert state.is_completed(), state.message
    return tmp / name / "2022"


def outputs(folder: Path) -> list[Path]:
    """The reports and every project's form (the data-quality pages carry the run's id and time)."""
    return sorted(p.relative_to(folder) for p in [*folder.glob("*/report.*"), *folder.glob("*/projects/*")])


def test_renders_in_processes_give_the_bytes_of_renders_in_threads(prefect_harness, tmp_path, monkeypatch):
    import multiprocessing
    import os
    import threading
    import time

    from prefect.task_runners import ProcessPoolTaskRunner

    import flows.self_evaluation as yearly
    import flows.steps.report as steps

    real, real_extract = steps.render_keys, yearly.extract
    seen = tmp_path / "pids"
    seen.mkdir()
    workers_at_extraction: list[int] = []
    others = set(multiprocessing.active_children())  # any an earlier test left

    def children() -> int:
        return len(set(multiprocessing.active_children()) - others)

    def noted(*args: object, **kwargs: object) -> object:  # goes with the task to a worker process, by value
        (seen / str(os.getpid())).touch()
        return real(*args, **kwargs)

    def extract(*args: object, **kwargs: object) -> object:
        """The render workers that have started when the run begins to extract (given a few seconds to spawn when
        processes are expected): they start with the run, not when its renders begin."""
        expected = os.environ["SELFEVAL_RENDER_PROCESSES_FROM"] == "1"
        deadline = time.monotonic() + 30
        while expected and children() < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers_at_extraction.append(children())
        return real_extract(*args, **kwargs)

    published = tmp_path / "published"  # a file, not an Event: the flow's function goes to the workers by value
    closing: list[tuple[bool, bool]] = []
    real_exit, real_publish = ProcessPoolTaskRunner.__exit__, yearly.publish_scores

    def exit_(self: ProcessPoolTaskRunner, *args: object) -> None:
        """The pool's close, on a thread of its own, waits (up to 30 s) for the scores to be published: it must
        not hold the run up."""
        elsewhere = threading.current_thread() is not threading.main_thread()
        deadline = time.monotonic() + 30
        while not published.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        closing.append((elsewhere, published.exists()))
        real_exit(self, *args)

    def publish(*args: object, **kwargs: object) -> object:
        published.touch()
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(ProcessPoolTaskRunner, "__exit__", exit_)
    monkeypatch.setattr(yearly, "publish_scores", publish)
    monkeypatch.setattr(steps, "render_keys", noted)
    monkeypatch.setattr(yearly, "extract", extract)
    monkeypatch.setenv("SELFEVAL_REPORT_CONFIG", str(Path("tests/support/report-light.yaml").resolve()))
    monkeypatch.setenv("SELFEVAL_RENDER_PROCESSES_FROM", "1000")
    threads = run(tmp_path, "threads")
    assert {p.name for p in seen.iterdir()} == {str(os.getpid())}  # in threads of this process
    for p in seen.iterdir():
        p.unlink()
    monkeypatch.setenv("SELFEVAL_RENDER_PROCESSES_FROM", "1")
    processes = run(tmp_path, "processes")
    workers = {p.name for p in seen.iterdir()}
    assert len(workers) == 2 and str(os.getpid()) in workers  # one part here, the other in a process of its own
    assert workers_at_extraction == [0, 1]  # none for threads; the worker started before the extraction, not after
    assert closing == [(True, True)]  # the pool closed beside the run, which went on to publish
    assert children() == 0  # and gone when the run ends
    files = outputs(threads)
    assert len([f for f in files if f.name.startswith("report.")]) == 3 * 2
    assert any(f.parent.name == "projects" and f.suffix == ".xlsx" for f in files)
    assert outputs(processes) == files
    for rel in files:
        assert (processes / rel).read_bytes() == (threads / rel).read_bytes(), rel
