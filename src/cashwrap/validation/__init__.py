"""``cashwrap validate``: the seed's validation procedures, run over HTTP against a platform.

See :mod:`cashwrap.validation.runner` for scenarios and steps, and
:mod:`cashwrap.validation.scenarios` for the ordered list.
"""
