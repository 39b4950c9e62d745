"""Stores and fulfillment locations, and the stock on hand at each."""
