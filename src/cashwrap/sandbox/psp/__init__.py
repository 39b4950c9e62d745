"""A sandbox payment service provider implementing the payment provider webhooks over HTTP.

Run it with ``cashwrap sandbox psp --port 8020``. It keeps financial instruments and their
transactions in its own database, so captures and refunds are checked against what was
authorized and captured, and lets tests dial declines, errors, latency and timeouts per operation
(``docs/payment-provider.md``, ``docs/sandboxes.md``).
"""
