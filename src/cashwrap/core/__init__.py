"""The kernel every domain stands on. It imports nothing else of cashwrap."""
