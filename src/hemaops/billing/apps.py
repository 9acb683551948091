from django.apps import AppConfig
from django.urls import reverse


def _charge_url(source_id: str) -> str | None:
    """A charge has no page of its own: its invoice's, or the unbilled charges while it has none."""
    from hemaops.billing.models import Charge

    if not source_id.isdigit():
        return None
    invoice_id = Charge.objects.filter(pk=source_id).values_list("invoice_id", flat=True).first()
    if invoice_id is not None:
        return reverse("billing:invoice_detail", kwargs={"pk": invoice_id})
    return f"{reverse('billing:charge_list')}#charge-{source_id}"


class BillingConfig(AppConfig):
    name = "hemaops.billing"
    label = "billing"
    verbose_name = "Billing: contracts, prices, charges, invoices, credit notes and receipts"

    def ready(self) -> None:
        from hemaops.billing import dashboard
        from hemaops.finance.sources import source_type_register

        dashboard.register()
        # The ledger's entry pages link each posting to its billing document; the URLs are
        # reversed when a page asks, not here (the URL configuration may not be loaded yet).
        source_type_register(
            "billing.invoice", "Invoice", lambda pk: reverse("billing:invoice_detail", kwargs={"pk": pk})
        )
        source_type_register("billing.charge", "Charge", _charge_url)
        source_type_register(
            "billing.receipt", "Receipt", lambda pk: f"{reverse('billing:receipt_list')}#receipt-{pk}"
        )
