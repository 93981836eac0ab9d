"""The catalog: records into a durable database, the database into the exchange and exports.

Three floors, each importing only from the floors below it and from the ground modules here::

    present/   course documents and what is made of them: JSON, CSV, the static site, the
       │       CLI's course views and explanations
    store/     the database: tables, migrations, the ingest, leases, harvest bookkeeping,
       │       withdrawals, and the tables derived from the courses (offers, search index)
    derive/    pure decisions on records and config, no database: folding, ISCED subjects,
               the exchange's rules, a course's search text, the sync's safety knobs

    ground:    errors.py (the one error tree), ids.py (a course's public id), memo.py

Derived values sit *below* storage because the catalog decides them once and stores them: the
ingest folds text and assigns ISCED codes as it writes, and the offers rebuild applies the
exchange rules as it writes offers. Presentation reads stored values and never re-derives them.
``python -m tools.codestats`` checks that the imports go one way (and CI runs its test).
"""
