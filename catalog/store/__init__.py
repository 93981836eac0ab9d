"""The catalog's database: schema and migrations, the ingest, and the tables derived from it.

Writes go through :mod:`.ingest` (a harvest's pages), :mod:`.harvests` (a run's bookkeeping),
:mod:`.leases`, :mod:`.withdrawals` and :mod:`.offers` (the exchange rebuilt); :mod:`.textsearch`
keeps the search index beside the courses. Every value it stores that is a decision (folded
text, subject codes, offers) comes from :mod:`catalog.derive`.
"""
