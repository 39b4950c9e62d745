"""Order injection: the OMS sends the orders a store must fulfil (POST /v0/d/fulfill_order)."""
