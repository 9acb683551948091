"""The quality officer's review of reportable reactions: the service, the page, the API and
the dashboard panel."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hemaops.core import roles
from hemaops.core.errors import ConflictError, PermissionDeniedError
from hemaops.core.models import AuditEvent
from hemaops.donations import oversight_nav, services
from hemaops.donations.errors import DonationsError
from hemaops.donations.models import AdverseReaction
from hemaops.donations.oversight_services import adverse_reaction_review
from tests.clock import earlier_today
from tests.donations.test_collection import collect, screen

pytestmark = pytest.mark.django_db

LIST = "/donations/reactions/review/"


@pytest.fixture(autouse=True)
def _registered():
    oversight_nav.register()


@pytest.fixture
def quality(make_user):
    return make_user(roles.QUALITY_OFFICER)


@pytest.fixture
def donation(staff, donor, site):
    return collect(staff, screen(staff, donor, site), site)


def _reaction(staff, donation, severity="severe", reportable=False, minutes_ago=5):
    return services.adverse_reaction_record(
        actor=staff["phlebotomist"],
        donation=donation,
        kind="vasovagal",
        severity=severity,
        care_given="Legs raised, fluids",
        occurred_at=earlier_today(donation.site, minutes=minutes_ago),
        reportable=reportable,
    )


@pytest.fixture
def reaction(staff, donation):
    return _reaction(staff, donation)


def _state(reaction):
    row = AdverseReaction.objects.get(pk=reaction.pk)
    return (row.reviewed_by_id, row.reviewed_at, row.review_note)


# --- the service ---------------------------------------------------------------------------


def test_a_review_records_who_when_and_the_note_and_is_audited(quality, reaction):
    reviewed = adverse_reaction_review(actor=quality, reaction=reaction, note="  Investigated; closed.  ")
    row = AdverseReaction.objects.get(pk=reaction.pk)
    assert (row.reviewed_by, row.review_note) == (quality, "Investigated; closed.")
    assert row.reviewed_at == reviewed.reviewed_at is not None
    event = AuditEvent.objects.get(action="donations.reaction.reviewed", target_id=str(reaction.pk))
    assert (event.stream, event.actor) == ("donations", quality)
    assert event.data["new"]["review_note"] == "Investigated; closed."


def test_an_empty_note_is_refused_on_the_note_field_and_changes_nothing(quality, reaction):
    with pytest.raises(DonationsError) as refused:
        adverse_reaction_review(actor=quality, reaction=reaction, note="   ")
    assert (refused.value.field, refused.value.code) == ("note", "required")
    assert _state(reaction) == (None, None, "")


def test_a_second_review_is_a_conflict_naming_the_field_and_keeps_the_first(quality, reaction):
    adverse_reaction_review(actor=quality, reaction=reaction, note="Reported to the FDA")
    first = _state(reaction)
    with pytest.raises(ConflictError) as refused:
        adverse_reaction_review(actor=quality, reaction=reaction, note="Changed my mind")
    assert (refused.value.field, refused.value.code) == ("reviewed_at", "already_reviewed")
    assert _state(reaction) == first
    assert AuditEvent.objects.filter(action="donations.reaction.reviewed").count() == 1


def test_a_reaction_not_reportable_is_not_reviewed(quality, staff, donation):
    mild = _reaction(staff, donation, severity="mild")
    with pytest.raises(DonationsError) as refused:
        adverse_reaction_review(actor=quality, reaction=mild, note="fine")
    assert refused.value.code == "not_reportable"
    assert _state(mild) == (None, None, "")


@pytest.mark.parametrize("role", [roles.MEDICAL_DIRECTOR, roles.PHLEBOTOMIST])
def test_only_the_quality_officer_reviews(make_user, reaction, role):
    with pytest.raises(PermissionDeniedError):
        adverse_reaction_review(actor=make_user(role), reaction=reaction, note="x")
    assert _state(reaction) == (None, None, "")


# --- the page ------------------------------------------------------------------------------


def test_the_page_lists_reportable_reactions_unreviewed_first(client, quality, staff, donation):
    older = _reaction(staff, donation, minutes_ago=12)
    newer = _reaction(staff, donation, minutes_ago=2)
    flagged_mild = _reaction(staff, donation, severity="mild", reportable=True, minutes_ago=8)
    not_reportable = _reaction(staff, donation, severity="mild", minutes_ago=6)
    adverse_reaction_review(actor=quality, reaction=newer, note="Closed")
    client.force_login(quality)
    page = client.get(LIST)
    assert page.status_code == 200
    assert [row["reaction"].pk for row in page.context["rows"]] == [flagged_mild.pk, older.pk, newer.pk]
    html = page.content.decode()
    assert f'id="reaction-{not_reportable.pk}"' not in html
    assert donation.din.din in html
    assert str(donation.donor) in html
    assert "Vasovagal" in html
    assert "Severe" in html
    assert "Legs raised, fluids" in html
    assert "Reviewed by quality_officer" in html
    assert "Closed" in html


def test_the_quality_officer_reviews_on_the_page(client, quality, reaction):
    client.force_login(quality)
    answer = client.post(f"/donations/reactions/{reaction.pk}/review/", {"note": "Investigated, closed"})
    assert answer.status_code == 302
    assert answer["Location"] == LIST
    assert _state(reaction)[2] == "Investigated, closed"
    row = client.get(LIST).context["rows"][0]
    assert row["form"] is None


def test_an_empty_note_on_the_page_names_the_field(client, quality, reaction):
    client.force_login(quality)
    answer = client.post(f"/donations/reactions/{reaction.pk}/review/", {"note": " "})
    assert answer.status_code == 200
    assert "note" in answer.context["rows"][0]["form"].errors
    assert _state(reaction) == (None, None, "")


def test_a_second_review_on_the_page_is_refused_and_changes_nothing(client, quality, reaction):
    adverse_reaction_review(actor=quality, reaction=reaction, note="First")
    client.force_login(quality)
    before = _state(reaction)
    answer = client.post(f"/donations/reactions/{reaction.pk}/review/", {"note": "Second"})
    assert answer.status_code == 200
    assert len(answer.context["refusals"]) == 1
    assert answer.context["refusals"][0].startswith("The reaction was already reviewed by quality_officer")
    assert _state(reaction) == before


def test_the_medical_director_reads_the_list_but_cannot_review(client, staff, reaction):
    client.force_login(staff["director"])
    page = client.get(LIST)
    assert page.status_code == 200
    assert page.context["rows"][0]["form"] is None
    assert "Not reviewed yet" in page.content.decode()
    assert client.post(f"/donations/reactions/{reaction.pk}/review/", {"note": "x"}).status_code == 403
    assert _state(reaction) == (None, None, "")


def test_a_recruiter_may_not_see_the_list(client, make_user, reaction):
    client.force_login(make_user(roles.RECRUITER))
    assert client.get(LIST).status_code == 403


def test_the_review_of_an_unknown_reaction_is_404(client, quality):
    client.force_login(quality)
    assert client.post("/donations/reactions/999999/review/", {"note": "x"}).status_code == 404


# --- the API -------------------------------------------------------------------------------


def _review(client, reaction_id, payload):
    return client.post(
        f"/api/v1/donations/reactions/{reaction_id}/review",
        data=json.dumps(payload),
        content_type="application/json",
    )


def test_the_api_reviews_once_and_names_the_field_of_each_refusal(client, quality, reaction):
    client.force_login(quality)
    empty = _review(client, reaction.pk, {"note": ""})
    assert empty.status_code == 400
    assert (empty.json()["error"]["code"], empty.json()["error"]["field"]) == ("required", "note")
    done = _review(client, reaction.pk, {"note": "Reported"})
    assert done.status_code == 201
    body = done.json()
    assert (body["id"], body["reviewed_by"], body["review_note"], body["din"]) == (
        reaction.pk,
        "quality_officer",
        "Reported",
        reaction.donation.din.din,
    )
    again = _review(client, reaction.pk, {"note": "Again"})
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "reviewed_at"
    assert _state(reaction)[2] == "Reported"


def test_the_api_refuses_a_reviewer_without_the_permission(client, staff, reaction):
    client.force_login(staff["director"])
    assert _review(client, reaction.pk, {"note": "x"}).status_code == 403
    assert _state(reaction) == (None, None, "")


# --- the dashboard -------------------------------------------------------------------------


def test_the_panel_counts_reactions_to_review_for_the_quality_officer(client, quality, staff, reaction):
    client.force_login(quality)
    home = client.get("/").content.decode()
    assert 'id="reactions-to-review">1<' in home
    assert f'href="{LIST}"' in home
    adverse_reaction_review(actor=quality, reaction=reaction, note="Closed")
    assert 'id="reactions-to-review">0<' in client.get("/").content.decode()
    client.force_login(staff["director"])
    assert "reactions-to-review" not in client.get("/").content.decode()


# --- query counts and concurrency ----------------------------------------------------------


def _queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_list_takes_as_many_queries_for_one_reaction_as_for_many(client, quality, staff, donation):
    adverse_reaction_review(actor=quality, reaction=_reaction(staff, donation), note="Closed")
    client.force_login(quality)
    one = _queries(client, LIST)
    for minutes in (1, 2, 3):
        _reaction(staff, donation, minutes_ago=minutes)
    adverse_reaction_review(actor=quality, reaction=_reaction(staff, donation), note="Closed")
    assert _queries(client, LIST) == one


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_at_once_record_one_and_refuse_the_other(quality, staff, donation):
    reaction = _reaction(staff, donation)
    barrier = threading.Barrier(2)
    done: list[str] = []
    conflicts: list[ConflictError] = []
    errors: list[BaseException] = []

    def review(note: str) -> None:
        try:
            barrier.wait(timeout=10)
            done.append(adverse_reaction_review(actor=quality, reaction=reaction, note=note).review_note)
        except ConflictError as error:
            conflicts.append(error)
        except BaseException as error:  # reported to the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(note,)) for note in ("First", "Second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(done) == 1
    assert len(conflicts) == 1
    assert _state(reaction)[2] == done[0]
    assert AuditEvent.objects.filter(action="donations.reaction.reviewed").count() == 1
