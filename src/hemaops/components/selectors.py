"""The components context's read side (house style §4). CONTRACT — implemented by the
selectors helper; pages and API code against these signatures.

- ``stock_board(*, at, site_ids=None) -> StockBoard``: on-hand units (status available, not
  expired at ``at``, no active unit or donation hold) counted by product × ABO/RhD × days to
  expiry band ("0-1", "2-3", "4-7", "8-14", "15-42", "43+"), across sites, plus counts of
  quarantined and held units per product. SQL aggregates only.
- ``pick_list(*, product, abo, rhd, count, at, site_ids=None) -> list[Unit]``: available,
  in-date, unheld units of that product and group, first-expiry-first-out (expires_at, pk).
- ``processing_worklist(*, site_ids=None, limit=200) -> list[Unit]``: quarantined units with
  what each still waits for (release, label print, label verification).
- ``unit_chain(unit) -> UnitChain``: donor → donation → testing and release → ancestors →
  the unit → descendants → location → history and fate.
- ``locations_with_occupancy(site_ids=None)``, ``excursions_pending()``.
"""
