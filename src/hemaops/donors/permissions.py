"""Who may do what with donors (see hemaops.core.roles)."""

from hemaops.core import roles

# Collection staff register, view and change donors; the medical director and the quality
# officer read them; only the quality officer merges duplicates. Donor records are personal
# data: hospital users and the finance roles hold nothing here.
_DONOR_STAFF = ["donors.view_donor", "donors.add_donor", "donors.change_donor"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    roles.RECRUITER: _DONOR_STAFF,
    roles.SCREENER: _DONOR_STAFF,
    roles.PHLEBOTOMIST: _DONOR_STAFF,
    roles.MEDICAL_DIRECTOR: ["donors.set_eligibility_configuration", "donors.view_donor"],
    roles.QUALITY_OFFICER: ["donors.view_donor", "donors.merge_donor"],
    # A program manager who converts a program from paid to volunteer donors moves the
    # program's donors to volunteer with it (hemaops.donations.compensation_services).
    roles.PROGRAM_MANAGER: ["donors.convert_program_donors"],
    # The laboratory writes what testing finds: the confirmed blood group, reactive results.
    roles.LAB_TECHNOLOGIST: ["donors.record_test_results"],
    roles.LAB_SUPERVISOR: ["donors.record_test_results"],
}
