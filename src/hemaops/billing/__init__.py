"""The billing context: prices by contract, invoices, credit notes, payment terms and aging.

So far only its pure rules (``hemaops.billing.rules``): no Django app, no models, no services
yet. Posting to the ledger stays with ``hemaops.finance`` (``invoice_post``,
``credit_note_post``; docs/accounting-policies.md §2–3).
"""
