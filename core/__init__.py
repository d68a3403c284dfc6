"""The ground floor: what every part of Harbour stands on and no part owns. The policy engine (`grants`,
`policy`, `actors`: what a membership is, the spine declares), live updates (`realtime`) and the base of
every socket (`live`), errors, paging, times and working days, charts, text limits, small counts, the
outbox, the worker and its sweeps, and the API's shared fields, paging and errors. It imports no app of
Harbour's: apps import it (tests/test_layout.py holds that)."""
