"""Drills: the soak (``soak``: the whole stack on a compressed exchange clock, scored by
invariants) and game days (``gamedays``: one failure injected into a running stack, watched
as operators watch it, scored), their records, admin and commands.

They run the stack of ``harness``; readiness judges their records through the checks they
register (``readiness_checks``). Nothing imports drills.
"""
