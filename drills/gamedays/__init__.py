"""Game days: inject one failure into a running stack, watch it as operators do, score it.

``scoring`` is pure; ``probe`` reads the operator interfaces (health, /metrics, Prometheus
alerts); ``scenarios`` says what each failure is and what must be seen; ``play`` runs them
against a stack of its own (``harness.stack``) and records ``GameDay`` rows.
"""
