"""A sandbox carrier implementing the shipping provider webhooks (a.11) over HTTP.

Run it with ``cashwrap sandbox carrier --port 8021``. It quotes shipping offers with tokens
(which expire, except in-store pickup), books shipments with a tracking code and label data,
cancels them, and reports tracking events; every operation can be made to fail through the admin
API (``docs/shipping-provider.md``, ``docs/sandboxes.md``).
"""
