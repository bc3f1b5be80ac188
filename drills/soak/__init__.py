"""The staging soak: the whole stack on a compressed exchange clock, scored by invariants.

``profile`` and ``invariants`` are pure; ``harness.stack`` runs the processes; ``seed`` and
``collect`` run inside the stack's own database; ``runner`` ties them together for
``manage.py soak``, ``staging`` scores a real two-week run for ``manage.py staging_run``.
"""
