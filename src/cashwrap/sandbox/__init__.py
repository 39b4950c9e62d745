"""Stand-ins for the other systems: an external OMS, a payment provider, a carrier."""
