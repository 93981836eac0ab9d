"""Pure derivations the catalog decides once and stores: no database, no files, no HTTP.

Folding for search (:mod:`.fold`, the same rule as the site's JavaScript), ISCED-F subjects
(:mod:`.subjects`), the exchange's rules and decisions (:mod:`.exchange`), the search text of a
course (:mod:`.search_text`), the sync's safety knobs (:mod:`.policy`), ISCED-F detailed fields
from titles and queries in three languages (:mod:`.fields`) and which courses of one
institution are one course on several platforms (:mod:`.clusters`).
"""
