"""Customer purchase history and order details, from the OMS webhook or the platform."""
