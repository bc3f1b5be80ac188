"""Stand-ins for the outside world, used by the drills, ``make run`` and the tests.

- ``fakes``: the market-data providers' HTTP APIs (Alpaca data, Polygon), with faults.
- ``simulator``: a broker speaking Alpaca's trading API and ``trade_updates`` stream
  (``manage.py run_broker_simulator``, ``Procfile.alpaca-sim``).
- ``stack``: the whole system as real processes on scratch state (``environment``).

Harness imports the domain apps; no domain app imports it: a domain app is configured to use
an outside service by its URL, whether the real one or a stand-in from here answers.
"""
