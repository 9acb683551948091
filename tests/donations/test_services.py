"""DIN label stock services: receipts, scans at the chair, on-demand generation."""

from __future__ import annotations

from datetime import date

import pytest

from hemaops.core import roles
from hemaops.core.errors import ConflictError, PermissionDeniedError
from hemaops.core.models import AuditEvent, Site
from hemaops.core.services import reference_data_save
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import DinLabelStock, IssuedDin
from hemaops.donations.services import din_claim_scanned, din_generate, din_stock_receive
from hemaops.isbt128.din import Din

pytestmark = pytest.mark.django_db


def _keyed(sequence: int, facility: str = "W0001", year: str = "25") -> str:
    return Din(facility, year, f"{sequence:06d}").keyboard_entry


def _scanned(sequence: int, flags: str = "01", facility: str = "W0001", year: str = "25") -> str:
    return Din(facility, year, f"{sequence:06d}", flags).data_content


def _receive(site, first, last, year="25", actor=None):
    return din_stock_receive(
        actor=actor,
        site=site,
        year=year,
        first_sequence=first,
        last_sequence=last,
        received_on=date(2025, 2, 1),
    )


# --- receipts ----------------------------------------------------------------------------


def test_receiving_stock_records_the_range_for_the_sites_facility_and_audits_it(site, make_user):
    technologist = make_user(roles.COMPONENT_TECHNOLOGIST)
    stock = _receive(site, 1, 500, actor=technologist)
    assert (stock.facility, stock.year, stock.first_sequence, stock.last_sequence) == ("W0001", "25", 1, 500)
    event = AuditEvent.objects.get(stream="donations", action="donations.din_stock.received")
    assert event.actor_id == technologist.pk
    assert event.data["new"]["first_sequence"] == 1
    assert event.data["new"]["last_sequence"] == 500


@pytest.mark.parametrize(("first", "last"), [(150, 250), (50, 100), (199, 199), (0, 999), (120, 130)])
def test_an_overlapping_range_for_the_same_facility_and_year_is_refused(site, received_stock, first, last):
    with pytest.raises(ConflictError) as refused:
        _receive(site, first, last)
    assert refused.value.code == "range_overlaps"
    assert refused.value.field == "first_sequence"
    assert DinLabelStock.objects.count() == 1


def test_the_same_range_in_another_year_or_facility_is_accepted(site, other_site, received_stock):
    _receive(site, 100, 199, year="26")
    _receive(other_site, 100, 199)
    assert DinLabelStock.objects.count() == 3


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"first_sequence": 10, "last_sequence": 5}, "invalid_range", "last_sequence"),
        ({"first_sequence": 1, "last_sequence": 1_000_000}, "invalid_sequence", "last_sequence"),
        ({"year": "2025"}, "invalid_year", "year"),
        ({"received_on": date(2999, 1, 1)}, "future_date", "received_on"),
    ],
)
def test_bad_receipts_are_refused_naming_the_field(site, kwargs, code, field):
    arguments = {"year": "25", "first_sequence": 1, "last_sequence": 10, "received_on": date(2025, 1, 1)}
    arguments.update(kwargs)
    with pytest.raises(DonationsError) as refused:
        din_stock_receive(actor=None, site=site, **arguments)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not DinLabelStock.objects.exists()


def test_a_site_without_a_facility_identification_number_cannot_receive_stock(company):
    laboratory = reference_data_save(
        actor=None,
        instance=Site(company=company, code="lab", name="Lab", kind=Site.Kind.LABORATORY, time_zone="UTC"),
    )
    with pytest.raises(DonationsError) as refused:
        _receive(laboratory, 1, 10)
    assert refused.value.code == "site_without_facility"


def test_a_phlebotomist_may_not_register_stock(site, make_user):
    with pytest.raises(PermissionDeniedError):
        _receive(site, 1, 10, actor=make_user(roles.PHLEBOTOMIST))
    assert not DinLabelStock.objects.exists()


def test_stock_over_numbers_already_generated_is_refused(site):
    din_generate(actor=None, site=site, year="25")
    din_generate(actor=None, site=site, year="25")
    with pytest.raises(ConflictError) as refused:
        _receive(site, 2, 50)
    assert refused.value.code == "range_already_generated"
    assert _receive(site, 3, 50).first_sequence == 3


# --- scanning at the chair ----------------------------------------------------------------


def test_a_scanned_din_from_received_stock_is_claimed_once_and_audited(site, received_stock, make_user):
    phlebotomist = make_user(roles.PHLEBOTOMIST)
    result = din_claim_scanned(actor=phlebotomist, site=site, raw=_scanned(123) + "\r\n")
    assert result.din.text == "W000125000123"
    assert result.din.flags == "01"
    issued = IssuedDin.objects.get()
    assert (issued.din, issued.source, issued.stock, issued.site, issued.claimed_by) == (
        "W000125000123",
        "scanned",
        received_stock,
        site,
        phlebotomist,
    )
    event = AuditEvent.objects.get(stream="donations", action="donations.din.claimed")
    assert event.data["new"]["din"] == "W000125000123"


def test_keyboard_entry_with_its_check_character_is_claimed(site, received_stock):
    result = din_claim_scanned(actor=None, site=site, raw=_keyed(150))
    assert result.issued.din == "W000125000150"
    assert result.issued.flags == ""


def test_a_type_3_flag_matching_the_din_is_accepted(site, received_stock):
    raw = Din("W0001", "25", "000160").with_check_flags().data_content
    assert din_claim_scanned(actor=None, site=site, raw=raw).din.flags == raw[-2:]


def test_a_din_is_never_used_twice(site, received_stock):
    din_claim_scanned(actor=None, site=site, raw=_scanned(123))
    with pytest.raises(ConflictError) as refused:
        din_claim_scanned(actor=None, site=site, raw=_keyed(123))
    assert refused.value.code == "din_used"
    assert refused.value.field == "din"
    assert "already used" in refused.value.message
    assert IssuedDin.objects.count() == 1


def _wrong_check_character(sequence: int) -> str:
    din = Din("W0001", "25", f"{sequence:06d}")
    wrong = "0" if din.check_character != "0" else "1"
    return f"{din.eye_readable} {wrong}"


def _wrong_type_3_flags(sequence: int) -> str:
    din = Din("W0001", "25", f"{sequence:06d}").with_check_flags()
    flags = "60" if din.flags != "60" else "61"
    return f"={din.text}{flags}"


@pytest.mark.parametrize(
    ("raw", "code", "field"),
    [
        (_wrong_check_character(123), "check_character_mismatch", "check_character"),
        ("W0001 25 000123", "check_character_required", "check_character"),
        (_wrong_type_3_flags(123), "flags_mismatch", "flags"),
        ("=W00012500012399", "reserved_flags", "flags"),
        ("=<E0001000", "data_identifier", "data_identifier"),
        ("W0001 25 0001", "length", "input"),
        ("", "empty", "input"),
        (_scanned(123, facility="W0002"), "other_facility", "facility"),
        (_keyed(99), "not_received", "sequence"),
        (_keyed(123, year="24"), "not_received", "sequence"),
    ],
)
def test_a_bad_scan_is_refused_naming_why_and_nothing_is_claimed(site, received_stock, raw, code, field):
    with pytest.raises(DonationsError) as refused:
        din_claim_scanned(actor=None, site=site, raw=raw)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not IssuedDin.objects.exists()


def test_the_other_facility_refusal_says_it_is_a_label_set_from_another_facility(site, received_stock):
    with pytest.raises(DonationsError, match="a label set from another facility"):
        din_claim_scanned(actor=None, site=site, raw=_scanned(123, facility="W0002"))


def test_a_quality_officer_may_not_claim_a_din(site, received_stock, make_user):
    with pytest.raises(PermissionDeniedError):
        din_claim_scanned(actor=make_user(roles.QUALITY_OFFICER), site=site, raw=_scanned(123))
    assert not IssuedDin.objects.exists()


# --- generation ---------------------------------------------------------------------------


def test_generation_counts_up_with_check_character_and_type_3_flags(site, make_user):
    technologist = make_user(roles.COMPONENT_TECHNOLOGIST)
    first = din_generate(actor=technologist, site=site, year="26")
    second = din_generate(actor=technologist, site=site, year=26)
    assert [first.din.text, second.din.text] == ["W000126000001", "W000126000002"]
    expected = Din("W0001", "26", "000001").with_check_flags()
    assert first.din.flags == expected.flags
    assert first.din.check_character == expected.check_character
    assert first.issued.source == "generated"
    assert AuditEvent.objects.filter(stream="donations", action="donations.din.generated").count() == 2


def test_generation_skips_received_preprinted_ranges(site):
    _receive(site, 1, 3)
    _receive(site, 5, 5)
    numbers = [din_generate(actor=None, site=site, year="25").issued.sequence for _ in range(3)]
    assert numbers == [4, 6, 7]


def test_a_scanned_din_and_a_generated_din_never_collide(site, received_stock):
    din_claim_scanned(actor=None, site=site, raw=_keyed(100))
    sequences = {din_generate(actor=None, site=site, year="25").issued.sequence for _ in range(120)}
    assert sequences.isdisjoint(range(100, 200))
    assert len(sequences) == 120


def test_generation_per_year_and_facility_are_separate_sequences(site, other_site):
    assert din_generate(actor=None, site=site, year="25").din.text == "W000125000001"
    assert din_generate(actor=None, site=site, year="26").din.text == "W000126000001"
    assert din_generate(actor=None, site=other_site, year="25").din.text == "W000225000001"


def test_generation_refuses_a_bad_year_and_a_recruiter(site, make_user):
    with pytest.raises(DonationsError) as refused:
        din_generate(actor=None, site=site, year="2025")
    assert refused.value.field == "year"
    with pytest.raises(PermissionDeniedError):
        din_generate(actor=make_user(roles.RECRUITER), site=site, year="25")
    assert not IssuedDin.objects.exists()


def test_generation_stops_when_the_year_is_exhausted(site):
    _receive(site, 1, 999_999)
    with pytest.raises(ConflictError) as refused:
        din_generate(actor=None, site=site, year="25")
    assert refused.value.code == "sequence_exhausted"
