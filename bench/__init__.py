"""The benchmark suite: synthetic feeds on a loopback server, our harvester against the raw limit.

``python -m bench.run --n 20000`` (see bench/README.md). Nothing here is imported by the
harvester; the suite only drives ``moocx`` from outside, as a user would.
"""
