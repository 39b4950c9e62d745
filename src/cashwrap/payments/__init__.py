"""Payment accounts: one per order (account id = order id), its instruments and transactions.

Payments never import orders: callers (checkout, cancellation, returns) set the order's
payment status from what this domain answers.
"""
