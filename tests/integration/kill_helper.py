"""Run as a separate process by the kill test: start replacing a partition, then stall mid-way.

After the payment ledger of the new partition has been written (inside the open transaction)
it creates the marker file and sleeps, so the test can SIGKILL it at a known point.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tasks.warehouse import dialect
from tasks.warehouse.engine import make_engine
from tests.integration.warehouse_helpers import load_sample, sample_data


def main(url: str, marker: str) -> None:
    real_insert = dialect.insert_frame

    def stalling_insert(conn, table, frame, constants=None):  # type: ignore[no-untyped-def]
        written = real_insert(conn, table, frame, constants)
        if table.name == "fct_payment":
            Path(marker).write_text("inside the transaction")
            time.sleep(120)
        return written

    dialect.insert_frame = stalling_insert  # type: ignore[assignment]
    data, hashes = sample_data(departments=["440103-KGXJ"])
    load_sample(make_engine(url), "killed-run", data, hashes)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
