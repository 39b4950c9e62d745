"""Associate App and Omnichannel Manager pages (Jinja2 + htmx), built on the services."""
