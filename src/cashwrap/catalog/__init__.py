"""Products and their prices, imported from the OMS or eCommerce catalog."""
