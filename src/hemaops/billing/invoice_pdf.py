"""An invoice or a credit note as a US Letter PDF, drawn with reportlab's platypus (its table
splits across pages, repeating the header row, so an invoice of any length prints).

No clock and no downloads: ``invariant=1`` keeps reportlab's creation date and document id
out of the file (the same invoice gives the same bytes), and only the PDF base-14 fonts are
used (Helvetica), which every reader has.
"""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hemaops.billing.models import Charge, Invoice
from hemaops.core.models import Company

__all__ = ["invoice_pdf"]

_COLUMNS = ("Item", "Description", "Quantity", "Unit price", "Amount")


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _charges(invoice: Invoice) -> list[Charge]:
    related = invoice.credited_charges if invoice.kind == Invoice.Kind.CREDIT_NOTE else invoice.charges
    return list(related.order_by("occurred_on", "pk"))


def invoice_pdf(invoice: Invoice) -> bytes:
    """The printable invoice (or credit note): who bills whom, its number, dates and terms,
    one line per charge, the total; a credit note names the invoice it credits and why."""
    company = Company.objects.order_by("pk").first()
    hospital = invoice.hospital
    contract = invoice.contract
    credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=11)
    title = "Credit note" if credit_note else "Invoice"

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list = [
        para(company.legal_name if company else "", styles["Heading2"]),
        para(f"{title} {invoice.number}", styles["Title"]),
        para("Bill to:"),
        para(hospital.name, styles["Heading4"]),
    ]
    if hospital.address_text:
        story.append(para(hospital.address_text))
    story.append(Spacer(1, 4 * mm))
    facts = [
        ("Number", invoice.number),
        ("Issued", invoice.issued_on.isoformat()),
        ("Contract", contract.number),
    ]
    if credit_note:
        facts.append(("Credits", invoice.credits.number if invoice.credits else "charges not yet invoiced"))
    else:
        facts += [
            ("Due", invoice.due_on.isoformat() if invoice.due_on else ""),
            ("Terms", f"Net {contract.terms_days} days"),
        ]
        if invoice.period_start:
            facts.append(("Period", f"{invoice.period_start:%B %Y}"))
    story.append(
        Table(
            [[para(k, cell), para(v, cell)] for k, v in facts], colWidths=[30 * mm, 100 * mm], hAlign="LEFT"
        )
    )
    if credit_note:
        story += [Spacer(1, 2 * mm), para(f"Reason: {invoice.reason}")]
    story.append(Spacer(1, 6 * mm))

    rows: list[list] = [list(_COLUMNS)]
    for charge in _charges(invoice):
        rows.append(
            [
                para(charge.item_code, cell),
                para(f"{charge.description} ({charge.occurred_on.isoformat()})", cell),
                str(charge.quantity),
                _money(charge.unit_price),
                _money(charge.amount),
            ]
        )
    total_label = "Total credited" if credit_note else "Total due"
    rows.append(["", total_label, "", "", _money(invoice.total)])
    table = Table(rows, colWidths=[28 * mm, 82 * mm, 20 * mm, 25 * mm, 25 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{title} {invoice.number}",
        author=company.legal_name if company else "",
        invariant=1,
    )

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(LETTER[0] - 18 * mm, 10 * mm, f"{invoice.number} — page {doc.page}")
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
