"""The invoice and credit note PDFs: what a reader extracts from them."""

from __future__ import annotations

from datetime import date

import pypdfium2 as pdfium

from hemaops.billing import services
from hemaops.billing.invoice_pdf import invoice_pdf
from hemaops.billing.services import ChargeInput
from hemaops.core.models import Hospital


def _text(pdf: bytes) -> tuple[int, str]:
    document = pdfium.PdfDocument(pdf)
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    return len(document), "\n".join(pages)


def _charges(contract, program, count: int, item: str = "RBC"):
    return services.charges_record(
        actor=None,
        contract=contract,
        occurred_on=date(2026, 3, 3),
        group_key="SHP-1",
        charges=[
            ChargeInput(
                item, f"{item} unit {n}", 1, program, "red_cells", "distribution.shipmentitem", f"{item}{n}"
            )
            for n in range(count)
        ],
    )


def test_an_invoice_pdf_shows_who_bills_whom_the_number_dates_lines_and_total(contract, program, hospital):
    Hospital.objects.filter(pk=hospital.pk).update(address_line="1 Valley Road", city="Fresno", region="CA")
    _charges(contract, program, 2)
    invoice = services.invoice_issue(
        actor=None, contract=contract, issued_on=date(2026, 4, 1), period_start=date(2026, 3, 1)
    )
    invoice.refresh_from_db()
    pages, text = _text(invoice_pdf(invoice))
    assert pages == 1
    for expected in (
        "Test Blood Services",
        "Cedars Valley",
        "1 Valley Road, Fresno, CA",
        invoice.number,
        "2026-04-01",
        "2026-05-01",
        "Net 30 days",
        "RBC unit 1",
        "215.00",
        "430.00",
    ):
        assert expected in text, expected


def test_a_long_invoice_breaks_across_pages(contract, program):
    _charges(contract, program, 120, "FFP")
    invoice = services.invoice_issue(
        actor=None, contract=contract, issued_on=date(2026, 4, 1), period_start=date(2026, 3, 1)
    )
    pages, text = _text(invoice_pdf(invoice))
    assert pages > 1
    assert "FFP unit 0" in text
    assert "FFP unit 119" in text
    assert "7,200.00" in text


def test_a_credit_note_pdf_names_the_invoice_it_credits_and_why(contract, program):
    charges = _charges(contract, program, 2)
    invoice = services.invoice_issue(
        actor=None, contract=contract, issued_on=date(2026, 4, 1), period_start=date(2026, 3, 1)
    )
    note = services.charges_credit(
        actor=None, charges=charges[:1], issued_on=date(2026, 4, 9), reason="unit returned unopened"
    )
    _, text = _text(invoice_pdf(note))
    assert "Credit note" in text
    assert note.number in text
    assert invoice.number in text
    assert "unit returned unopened" in text
    assert "215.00" in text
    assert "RBC unit 1" not in text
