"""Run as a separate process by the kill test: start promoting a department-year, then stall mid-way.

Once the warehouse's payments of the department-year have been deleted and the new ones are being
written (inside the open transaction), it creates the marker file and sleeps, so the test can SIGKILL it
at a known point.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import tasks.warehouse.promote as promote
from tasks.warehouse.engine import make_engine
from tests.integration.warehouse_helpers import load_sample, sample_data


def main(url: str, marker: str) -> None:
    def stall(_: int) -> bool:  # called by the payments' model as its rows are written
        Path(marker).write_text("inside the transaction")
        time.sleep(120)
        return True

    data, hashes = sample_data(departments=["440103-KGXJ"])

    def register(db):  # type: ignore[no-untyped-def]
        # the run database's view of the warehouse's payments, stalling as its rows are written
        db.duckdb.create_function("selfeval_stall", stall, ["INTEGER"], "BOOLEAN", side_effects=True)
        db.duckdb.execute(f"CREATE OR REPLACE VIEW fct_payment AS SELECT * FROM ({promote.models()['fct_payment']}) "
                          "WHERE selfeval_stall(1)")

    load_sample(make_engine(url), "killed-run", data, hashes, hook=register)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
