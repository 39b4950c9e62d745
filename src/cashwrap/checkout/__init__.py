"""Carts and the checkout that turns a cart into an order."""
