"""The ``cashwrap`` command: one module per area, mounted on the root in ``main``."""
