"""The event stream: the outbox, the event catalog, integrations and their delivery."""
