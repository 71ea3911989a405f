"""selfeval's steps: plain functions grouped by stage, with thin Prefect task wrappers.

Sub-packages follow the data as it flows: ``sources`` (read and type), ``quality``
(rules and Great Expectations), ``warehouse`` (schema, loads, report queries) and
``report`` (figures, score, rendering). ``settings`` builds the one configuration object.
"""

import os

# Arrow's allocator (mimalloc, read when pyarrow loads: so before any module here imports it) gives freed pages back
# to the system at once rather than after its purge delay. Reading the 20M-line city on two threads, the delay
# kept ~170 MB more at extraction's peak, for ~2 s more of extraction (issue 27, bench/results.md). An operator's
# own MIMALLOC_PURGE_DELAY wins.
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
