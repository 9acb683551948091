"""ISBT 128 unit labels, pure: what a label says (its four quadrant bar codes and its words,
21 CFR 606.121 and ICCBBA ST-001), the post-print scan check, and the PDF and ZPL renderings.

No Django, no database, no clock: a service builds a :class:`LabelContent` from the record
and keeps :func:`content_digest` with the verification, so a scan check is bound to exactly
what was printed.
"""

from hemaops.components.labels.content import (
    Barcode,
    LabelContent,
    LabelError,
    LabelText,
    ScanMismatch,
    barcodes,
    content_digest,
    label_text,
    scan_check,
)
from hemaops.components.labels.pdf import label_pdf
from hemaops.components.labels.zpl import label_zpl

__all__ = [
    "Barcode",
    "LabelContent",
    "LabelError",
    "LabelText",
    "ScanMismatch",
    "barcodes",
    "content_digest",
    "label_pdf",
    "label_text",
    "label_zpl",
    "scan_check",
]
