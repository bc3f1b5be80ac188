"""Fake market-data providers speaking the real wire formats (Alpaca, Polygon) over local HTTP.

Shipped code, not test code: the soak run and the game days start them as processes of their
own (``python -m harness.fakes.alpaca``) and switch faults over ``/_control``; the tests
run them in a thread. They import no Django model, so they start fast and anywhere.
"""
