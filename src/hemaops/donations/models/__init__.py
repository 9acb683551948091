"""Tables of the donations context, one module per part of the collection flow."""

from hemaops.donations.models.compensation import CompensationRate, ProgramDonorBasis
from hemaops.donations.models.din_labels import DinLabelStock, DinSequence, IssuedDin
from hemaops.donations.models.drives import (
    Appointment,
    AppointmentSlot,
    Drive,
    DriveGoal,
    DriveStatusChange,
    SiteClosure,
    SiteOpeningHours,
)

__all__ = [
    "Appointment",
    "AppointmentSlot",
    "CompensationRate",
    "DinLabelStock",
    "DinSequence",
    "Drive",
    "DriveGoal",
    "DriveStatusChange",
    "IssuedDin",
    "ProgramDonorBasis",
    "SiteClosure",
    "SiteOpeningHours",
]
from hemaops.donations.models.collection import *  # noqa: F403 - screening and donation
