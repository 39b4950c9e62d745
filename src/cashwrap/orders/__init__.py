"""Orders: placed in the store, injected by the OMS; their statuses, reads and cancellation."""
