"""The worker threads for blocking client calls (librdkafka metadata, kazoo session start, process waits).

A plain ThreadPoolExecutor, not qasync's QThread executor, so services need no Qt.
"""

from __future__ import annotations

import concurrent.futures

EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=6, thread_name_prefix="workbench-io")
