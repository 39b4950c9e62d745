"""Payment accounts, and the payment provider contract (authorize, capture, refund, revoke)."""
