"""The recruitment list selector on the database (hemaops.donations.recruitment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hemaops.donations import geography
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import DonorDeferral
from hemaops.donations.recruitment import RecruitmentRow, csv_values, recruitment_list
from hemaops.donors import services as donor_services
from tests.donations.recruitment_factories import (
    ENCINO,
    LOS_ANGELES,
    SAN_DIEGO,
    SHERMAN_OAKS,
    deferred,
    donor_make,
    gave,
    site_with_zip,
)


@pytest.fixture
def today():
    return timezone.now().astimezone(LOS_ANGELES).date()


def numbers(listing):
    return [row.donor_number for row in listing.rows]


# --- geography ---------------------------------------------------------------------------


def test_a_us_zip_code_has_a_point_and_zip_plus_4_is_accepted():
    point = geography.postal_point("US", SHERMAN_OAKS)
    assert point == pytest.approx((34.15, -118.46), abs=0.01)
    assert geography.postal_point("us", "91403-1234") == point


@pytest.mark.parametrize(
    ("country", "postal_code"),
    [("CA", "91403"), ("US", ""), ("US", "9140"), ("US", "ABCDE"), ("US", "00000")],
)
def test_other_countries_and_malformed_or_unknown_zip_codes_have_no_point(country, postal_code):
    assert geography.postal_point(country, postal_code) is None


def test_sherman_oaks_to_san_diego_is_about_190_km():
    sherman, san_diego = geography.postal_point("US", SHERMAN_OAKS), geography.postal_point("US", SAN_DIEGO)
    assert geography.distance_km(sherman, san_diego) == pytest.approx(190, abs=10)
    assert geography.distance_km(sherman, sherman) == 0


# --- eligibility from history ------------------------------------------------------------


@pytest.mark.django_db
def test_whole_blood_30_days_ago_is_not_listed_for_whole_blood_but_is_after_56_days(staff, site, today):
    donor = donor_make()
    gave(staff, donor, site, days_ago=30)
    listing = recruitment_list(on=today, procedure="whole_blood")
    assert donor.donor_number not in numbers(listing)
    assert listing.counts.not_yet_eligible == 1

    later = recruitment_list(on=today + timedelta(days=26), procedure="whole_blood")
    (row,) = later.rows
    assert row.donor_number == donor.donor_number
    assert row.last_donation_on == today - timedelta(days=30)
    assert row.last_donation_procedure == "whole_blood"
    assert row.eligible_since == today + timedelta(days=26)
    assert recruitment_list(on=today + timedelta(days=25), procedure="whole_blood").rows == []


@pytest.mark.django_db
def test_whole_blood_30_days_ago_does_not_keep_a_donor_from_platelets(staff, site, today):
    donor = donor_make()
    gave(staff, donor, site, days_ago=30)
    (row,) = recruitment_list(on=today, procedure="platelets").rows
    assert row.donor_number == donor.donor_number
    assert row.eligible_since == today - timedelta(days=23)


@pytest.mark.django_db
def test_an_indefinitely_deferred_donor_is_not_listed(staff, site, today):
    donor = donor_make()
    deferred(staff, donor, site)
    assert DonorDeferral.objects.get(donor=donor).kind == "indefinite"
    listing = recruitment_list(on=today + timedelta(days=400), procedure="whole_blood")
    assert listing.rows == []
    assert listing.counts.deferred_indefinitely_or_permanently == 1


@pytest.mark.django_db
def test_a_donor_with_a_reactive_test_result_on_record_is_not_listed(today):
    donor = donor_make()
    donor_services.donor_marker_result_record(
        actor=None,
        donor=donor,
        tested_on=today,
        marker="hcv",
        result="repeatedly_reactive",
        din="W000126000001",
    )
    listing = recruitment_list(on=today + timedelta(days=400), procedure="whole_blood")
    assert listing.rows == []
    assert listing.counts.deferred_indefinitely_or_permanently == 1


@pytest.mark.django_db
def test_a_donor_who_never_gave_is_listed_with_contacts(today):
    donor = donor_make(abo="O", rhd="neg")
    (row,) = recruitment_list(on=today, procedure="whole_blood").rows
    assert (row.donor_number, row.blood_group, row.donor_type) == (donor.donor_number, "O RhD−", "volunteer")
    assert (row.phone, row.email, row.postal_code) == (donor.phone, donor.email, SHERMAN_OAKS)
    assert row.last_donation_on is None
    assert row.eligible_since is not None
    assert row.eligible_since < today
    assert row.distance_km is None


@pytest.mark.django_db
def test_abo_and_rhd_filters(today):
    o_neg = donor_make(abo="O", rhd="neg")
    o_pos = donor_make(abo="O", rhd="pos")
    a_neg = donor_make(abo="A", rhd="neg")
    donor_make()  # blood group not on record yet
    assert numbers(recruitment_list(on=today, procedure="whole_blood", abo="O")) == [
        o_neg.donor_number,
        o_pos.donor_number,
    ]
    assert numbers(recruitment_list(on=today, procedure="whole_blood", rhd="neg")) == [
        o_neg.donor_number,
        a_neg.donor_number,
    ]
    assert numbers(recruitment_list(on=today, procedure="whole_blood", abo="O", rhd="neg")) == [
        o_neg.donor_number
    ]


@pytest.mark.django_db
def test_donor_type_filter_reads_the_type_of_today(program, today):
    volunteer = donor_make()
    converted = donor_make(donor_type="paid", registered_days_ago=400)
    donor_services.donor_type_change(actor=None, donor=converted, donor_type="volunteer", program=program)
    paid = donor_make(donor_type="paid")
    listed = recruitment_list(on=today, procedure="platelets", donor_type="volunteer")
    assert numbers(listed) == [volunteer.donor_number, converted.donor_number]
    assert numbers(recruitment_list(on=today, procedure="platelets", donor_type="paid")) == [
        paid.donor_number
    ]


@pytest.mark.django_db
def test_last_donation_before_keeps_lapsed_donors_and_those_who_never_gave(staff, site, today):
    recent = donor_make()
    lapsed = donor_make()
    never = donor_make()
    gave(staff, recent, site, days_ago=60)
    gave(staff, lapsed, site, days_ago=200)
    listing = recruitment_list(
        on=today, procedure="whole_blood", last_donation_before=today - timedelta(days=90)
    )
    assert numbers(listing) == [lapsed.donor_number, never.donor_number]
    assert listing.counts.considered == 2
    assert recent.donor_number in numbers(recruitment_list(on=today, procedure="whole_blood"))


@pytest.mark.django_db
def test_distance_from_a_site_keeps_donors_within_reach_nearest_first(company, today):
    sherman = site_with_zip(company)
    san_diego = donor_make(postal_code=SAN_DIEGO)
    encino = donor_make(postal_code=ENCINO)
    no_zip = donor_make(postal_code="")
    at_site = donor_make(postal_code=SHERMAN_OAKS)

    shown = recruitment_list(on=today, procedure="whole_blood", near_site=sherman)
    assert numbers(shown) == [
        at_site.donor_number,
        encino.donor_number,
        san_diego.donor_number,
        no_zip.donor_number,
    ]
    assert shown.rows[0].distance_km == 0.0
    assert shown.rows[2].distance_km == pytest.approx(190, abs=10)
    assert shown.rows[3].distance_km is None

    near = recruitment_list(on=today, procedure="whole_blood", near_site=sherman, within_km=50)
    assert numbers(near) == [at_site.donor_number, encino.donor_number]
    assert near.counts.unknown_distance == 1
    assert near.counts.beyond_distance == 1
    assert near.counts.listed == 2


@pytest.mark.django_db
def test_merged_duplicates_are_not_listed_and_their_history_counts_for_the_survivor(staff, site, today):
    survivor = donor_make(family_name="Okafor")
    duplicate = donor_make(family_name="Okafor-Dup")
    gave(staff, duplicate, site, days_ago=20)
    donor_services.donor_merge(actor=None, duplicate=duplicate, survivor=survivor, reason="same person")
    listing = recruitment_list(on=today, procedure="whole_blood")
    assert listing.rows == []
    assert listing.counts.not_yet_eligible == 1  # the survivor, by the duplicate's donation
    assert listing.counts.merged_records_skipped == 1
    (row,) = recruitment_list(on=today + timedelta(days=36), procedure="whole_blood").rows
    assert row.donor_number == survivor.donor_number
    assert row.last_donation_on == today - timedelta(days=20)


@pytest.mark.django_db
def test_a_donor_who_withdrew_contact_consent_is_left_out_and_counted(today):
    refused = donor_make()
    asked = donor_make()
    consent = donor_services.donor_consent_give(actor=None, donor=refused, kind="contact")
    donor_services.donor_consent_withdraw(actor=None, consent=consent, reason="do not call")
    donor_services.donor_consent_give(actor=None, donor=asked, kind="contact")
    listing = recruitment_list(on=today, procedure="whole_blood")
    assert numbers(listing) == [asked.donor_number]
    assert listing.counts.contact_refused == 1


@pytest.mark.django_db
def test_limit_keeps_the_first_rows_and_counts_all(today):
    for _ in range(3):
        donor_make()
    listing = recruitment_list(on=today, procedure="whole_blood", limit=2)
    assert len(listing.rows) == 2
    assert listing.truncated is True
    assert listing.counts.listed == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"procedure": "blood"}, "procedure"),
        ({"procedure": ""}, "procedure"),
        ({"procedure": "whole_blood", "abo": "Q"}, "abo"),
        ({"procedure": "whole_blood", "rhd": "+"}, "rhd"),
        ({"procedure": "whole_blood", "donor_type": "friend"}, "donor_type"),
        ({"procedure": "whole_blood", "within_km": 10}, "within_km"),
        ({"procedure": "whole_blood", "limit": 0}, "limit"),
    ],
)
def test_a_bad_filter_is_refused_naming_its_field(arguments, field, today):
    with pytest.raises(DonationsError) as refused:
        recruitment_list(on=today, **arguments)
    assert refused.value.field == field
    assert refused.value.message.startswith(f"{field}:")


@pytest.mark.django_db
def test_a_site_without_a_known_zip_code_cannot_measure_distance(site, today):
    with pytest.raises(DonationsError) as refused:
        recruitment_list(on=today, procedure="whole_blood", near_site=site, within_km=10)
    assert refused.value.field == "near_site"


@pytest.mark.django_db
def test_zero_or_negative_distance_is_refused(company, today):
    sherman = site_with_zip(company)
    with pytest.raises(DonationsError) as refused:
        recruitment_list(on=today, procedure="whole_blood", near_site=sherman, within_km=0)
    assert refused.value.field == "within_km"


@pytest.mark.django_db
def test_histories_load_in_a_fixed_number_of_queries(staff, site, today, django_assert_max_num_queries):
    for days_ago in (70, 80, 90):
        gave(staff, donor_make(), site, days_ago=days_ago)
    deferred(staff, donor_make(), site)
    with django_assert_max_num_queries(9):
        listing = recruitment_list(on=today, procedure="whole_blood")
    assert listing.counts.listed == 3


def test_csv_values_neutralise_spreadsheet_formulas_but_keep_phone_numbers():
    row = RecruitmentRow(
        donor_id=1,
        donor_number="D0000001",
        family_name="=HYPERLINK(1)",
        given_name="Ann",
        abo="O",
        rhd="neg",
        donor_type="volunteer",
        last_donation_on=None,
        last_donation_procedure="",
        eligible_since=None,
        phone="+1 818 555 0100",
        email="@x",
        address_line="",
        city="",
        region="CA",
        postal_code="91403",
        country="US",
        distance_km=3.14159,
    )
    values = csv_values(row)
    assert values[1] == "'=HYPERLINK(1)"
    assert values[9] == "+1 818 555 0100"
    assert values[10] == "'@x"
    assert values[-1] == "3.1"
