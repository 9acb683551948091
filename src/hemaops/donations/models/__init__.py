"""Tables of the donations context, one module per part of the collection flow."""

from hemaops.donations.models.din_labels import DinLabelStock, DinSequence, IssuedDin

__all__ = ["DinLabelStock", "DinSequence", "IssuedDin"]
