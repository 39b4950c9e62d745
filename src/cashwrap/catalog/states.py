"""The lifecycle of an import job, as NewStore's Import Data API reports it."""

from __future__ import annotations

from cashwrap.core.states import lifecycle

RECEIVED = "received"
PROCESSING = "processing"
FINISHED = "finished"
FAILED = "failed"

# received    created, waiting for POST …/start
# processing  a platform process reads the file (taken over by another if that process dies)
# finished    every line was read; per-record errors are listed on the job
# failed      the job could not run (unreadable source, full availability import, set failed…)
IMPORT_JOB = lifecycle(
    "import job",
    {
        RECEIVED: {PROCESSING, FAILED},
        PROCESSING: {FINISHED, FAILED},
        FINISHED: set(),
        FAILED: set(),
    },
)
