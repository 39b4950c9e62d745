"""Tenants, the API clients and users that act for them, and the access tokens they are given."""
