"""What every sandbox app shares: its own database, fault dialing, a call log, idempotent replies.

A sandbox is a standalone ASGI app that plays another system (a payment provider, a carrier, an
external OMS) over HTTP. The platform never imports it; it reaches it by URL, exactly as it would
reach the real system. Each sandbox is built from:

- :class:`~cashwrap.sandbox.common.app.SandboxSpec` — its name, its contract operations (each may
  list the decline codes it can answer with), its tunable settings and its own tables;
- :func:`~cashwrap.sandbox.common.app.create_sandbox_app` — a FastAPI app with the admin API under
  ``/_sandbox`` (faults, calls, settings, reset) and ``/health``;
- :meth:`~cashwrap.sandbox.common.app.Sandbox.serve` — called by each contract route: it checks
  the API key, applies the fault dialed for the operation, replays the stored answer of a
  repeated idempotency key, runs the operation in one transaction and records the call.

See ``docs/sandboxes.md`` for the admin API.
"""
