"""Available-to-promise: from the external OMS's webhook or from the platform's stock."""
