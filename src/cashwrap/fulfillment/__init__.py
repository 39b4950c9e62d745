"""Fulfillment requests and the store's work: pick, pack, ship, hand over."""
