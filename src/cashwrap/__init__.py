"""cashwrap: a store platform that keeps the contract with an external order management system."""

__version__ = "0.1.0"
