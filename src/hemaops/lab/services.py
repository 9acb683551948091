"""The laboratory's writers (house style §3: one transaction each, permission-checked,
audited in the ``lab`` stream).

- ``panel_set``: the markers tested from a date.
- ``results_import``: an instrument file, whole or not at all, once (its SHA-256).
- ``result_enter`` / ``result_verify``: a result typed by hand counts once another person
  verifies it.
- ``hold_place`` / ``hold_lift``; ``donations_release``: a batch released as one signed act,
  only acceptable donations without a hold (the database refuses otherwise, migration 0002);
  ``discrepancy_resolve``: the supervisor signs the type after investigating.
- ``special_test_record`` / ``bacterial_control_record``: attributes products are ordered by
  (and the HLA antibody result TRALI risk reduction waits for).
- ``notification_record_done``: the donor was told.

After any new final result the donation is evaluated again (``rules.evaluate``). A reactive
result marks the donation for discard, puts the result on the donor's record (the donors
context; screening then defers by the engine's marker table) and opens a notification due in
8 weeks (21 CFR 630.40). A late result that leaves a released donation not acceptable does not
edit history: the donation is held (a reactive one flagged for the quality officer).

This module only gathers the services for their callers; each action lives in its own module:
test panels in ``panel_services``, results (import, entry, verification) in ``result_services``,
holds, release and discrepancy resolution in ``release_services``, special tests, bacterial
control and donor notifications in ``special_test_services``. What they share: the donation's
testing record in ``testing_services``, its evaluation again and the consequences in
``evaluation_services``, the audit stream and the donation loader in ``service_support``.
"""

from __future__ import annotations

from hemaops.lab.panel_services import panel_set
from hemaops.lab.release_services import discrepancy_resolve, donations_release, hold_lift, hold_place
from hemaops.lab.result_services import ResultFileRefusedError, result_enter, result_verify, results_import
from hemaops.lab.special_test_services import (
    bacterial_control_record,
    notification_record_done,
    special_test_record,
)
from hemaops.lab.testing_services import testing_open, testings_open

__all__ = [
    "ResultFileRefusedError",
    "bacterial_control_record",
    "discrepancy_resolve",
    "donations_release",
    "hold_lift",
    "hold_place",
    "notification_record_done",
    "panel_set",
    "result_enter",
    "result_verify",
    "results_import",
    "special_test_record",
    "testing_open",
    "testings_open",
]
