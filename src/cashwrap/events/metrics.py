"""Prometheus metrics of the event stream (exported by ``/metrics`` and ``cashwrap worker``).

Counters count in the process that did the work: with several workers, sum them across
processes. ``recorded`` is counted when an event is fanned out, so it counts committed events
only (an event recorded in a transaction that rolled back never existed).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_RECORDED = Counter(
    "cashwrap_events_recorded_total", "Committed events fanned out to integrations", ["name"]
)
DELIVERIES = Counter(
    "cashwrap_event_deliveries_total",
    "Delivery attempts by outcome (delivered, retry, rejected, dead_lettered)",
    ["tenant", "integration", "outcome"],
)
DELIVERY_LAG = Histogram(
    "cashwrap_event_delivery_lag_seconds",
    "From the event's commit to its acknowledgement by the integration",
    ["tenant", "integration"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
PENDING = Gauge(
    "cashwrap_event_deliveries_pending",
    "Deliveries waiting for an attempt, per integration",
    ["tenant", "integration"],
)
OLDEST_PENDING = Gauge(
    "cashwrap_event_delivery_oldest_pending_seconds",
    "Age of the oldest pending delivery, per integration (the current delivery lag)",
    ["tenant", "integration"],
)
