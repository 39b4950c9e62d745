"""Calls the platform makes to other systems (OMS, payment provider, carrier) over HTTP."""
