"""The catalog and the Import Data API.

* :mod:`.products` — catalog reads other domains use (``count_products``, ``price_of`` …).
* :mod:`.imports` — import jobs as the API moves them (create, start, set failed, describe).
* :mod:`.runner` — the background execution of jobs, resumption after a crash.
* :mod:`.reader` — the zip format and the record schemas (synchronous, in a worker thread).
"""

from __future__ import annotations

from cashwrap.catalog.service.imports import (
    create_job,
    describe,
    get_job,
    list_jobs,
    set_failed,
    start_job,
)
from cashwrap.catalog.service.products import (
    LinePricing,
    count_products,
    get_product,
    known_product_ids,
    line_pricing,
    price_of,
    some_product_ids,
)
from cashwrap.catalog.service.runner import ImportRunner, RunnerSettings

__all__ = [
    "ImportRunner",
    "LinePricing",
    "RunnerSettings",
    "count_products",
    "create_job",
    "describe",
    "get_job",
    "get_product",
    "known_product_ids",
    "line_pricing",
    "list_jobs",
    "price_of",
    "set_failed",
    "some_product_ids",
    "start_job",
]
