"""Configuration documents the seed's pre-requisites name, per tenant, versioned."""
