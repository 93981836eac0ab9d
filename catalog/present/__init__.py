"""What the catalog shows: course documents and the exports and views made of them.

:mod:`.documents` reads stored courses into documents once; the JSON (:mod:`.export_json`), the
CSV (:mod:`.export_csv`) and the static site (:mod:`.site`) write them, :mod:`.files` makes each
file whole or absent. The CLI's views of one course (:mod:`.lookup`, :mod:`.inspect`,
:mod:`.explain`, :mod:`.review`) live here too. Nothing here writes the database.
"""
