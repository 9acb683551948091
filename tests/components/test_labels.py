"""ISBT 128 unit labels (hemaops.components.labels): the bar code data of each quadrant, the
scan check, the digest, and round trips — the PDF is rasterized and its bar codes decoded,
the ZPL's ^BC field data is read back — so the printed label is what the record says."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
import zxingcpp
from reportlab.graphics.barcode.code128 import Code128

from hemaops.components.labels import (
    LabelContent,
    LabelError,
    barcodes,
    content_digest,
    label_pdf,
    label_text,
    label_zpl,
    scan_check,
)
from hemaops.components.labels.zpl import code128_field_data
from hemaops.isbt128.din import Din

LA = ZoneInfo("America/Los_Angeles")


def la(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA)


def content(**changes) -> LabelContent:
    base = LabelContent(
        din=Din("A9999", "21", "123456"),
        abo="A",
        rhd="POS",
        product_code="A0002V00",
        product_description="RED BLOOD CELLS  AS-1  Leukocytes reduced",
        expires_at=la("2028-12-31T23:59"),
        label_shows_time=False,
        collected_at=la("2028-11-18T09:30"),
        donor_classification="volunteer",
        special_testing=("CMV antibody negative", "Hemoglobin S negative"),
        storage="Store at 1 to 6 °C",
        facility_name="Pacific Blood Center",
        facility_address="1200 Harbor Blvd, Long Beach, CA 90802",
        license_number="1234",
        volume_ml=300,
    )
    return replace(base, **changes)


def data(label: LabelContent) -> dict[str, str]:
    return {b.name: b.data for b in barcodes(label)}


# --- bar code data -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("abo", "rhd", "expected"),
    [
        ("A", "POS", "=%6200"),  # ST-001 §2.2 example
        ("O", "NEG", "=%9500"),
        ("O", "POS", "=%5100"),
        ("A", "NEG", "=%0600"),
        ("B", "POS", "=%7300"),
        ("B", "NEG", "=%1700"),
        ("AB", "POS", "=%8400"),
        ("AB", "NEG", "=%2800"),
    ],
)
def test_blood_group_is_the_default_intended_use_code(abo, rhd, expected):
    assert data(content(abo=abo, rhd=rhd))["blood group"] == expected


def test_quadrants_and_order():
    assert [(b.quadrant, b.name) for b in barcodes(content())] == [
        ("upper left", "DIN"),
        ("upper right", "blood group"),
        ("lower left", "product code"),
        ("lower right", "expiry"),
    ]


def test_din_without_flags_encodes_00_and_prints_the_check_character_apart():
    label = content()
    din = barcodes(label)[0]
    assert din.data == "=A99992112345600"
    assert din.text == "A9999 21 123456"
    text = label_text(label)
    assert (text.din, text.check_character, text.flags) == ("A9999 21 123456", "3", None)


def test_din_with_type_3_flags():
    label = content(din=Din("A9999", "21", "123456").with_check_flags())
    assert data(label)["DIN"] == "=A99992112345663"  # 60 + value of K "3"
    assert label_text(label).flags == "63"


def test_product_code():
    assert data(content())["product code"] == "=<A0002V00"
    assert data(content(product_code="E4306V00"))["product code"] == "=<E4306V00"


@pytest.mark.parametrize(
    ("expires", "shows_time", "expected", "date_text", "time_text"),
    [
        ("2028-12-31T23:59", False, "&>0283662359", "EXPIRES 31 DEC 2028", None),  # leap year: day 366
        ("2027-12-31T23:59", False, "&>0273652359", "EXPIRES 31 DEC 2027", None),  # common year: day 365
        ("2028-12-31T10:30", True, "&>0283661030", "EXPIRES 31 DEC 2028", "10:30"),
        ("2026-03-01T14:05:59", True, "&>0260601405", "EXPIRES 01 MAR 2026", "14:05"),  # seconds floored
        ("2028-02-29T06:00", True, "&>0280600600", "EXPIRES 29 FEB 2028", "06:00"),
        ("2029-01-01T00:00", True, "&>0290010000", "EXPIRES 01 JAN 2029", "00:00"),
    ],
)
def test_expiry_data_structure_005(expires, shows_time, expected, date_text, time_text):
    label = content(expires_at=la(expires), label_shows_time=shows_time, collected_at=la("2026-02-27T08:00"))
    assert data(label)["expiry"] == expected
    text = label_text(label)
    assert (text.expires, text.expires_time) == (date_text, time_text)


def test_date_only_label_refuses_an_expiry_before_end_of_day():
    # A label without the hour reads as 23:59 (ST-001 §2.4.5): it would extend a 10:30 expiry.
    with pytest.raises(LabelError) as caught:
        content(expires_at=la("2028-12-31T10:30"), label_shows_time=False)
    assert caught.value.code == "expiry_time_hidden"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"abo": "0"}, "invalid_abo"),
        ({"rhd": "positive"}, "invalid_rhd"),
        ({"donor_classification": "unpaid"}, "invalid_donor_classification"),
        ({"product_code": "A0002V0"}, "length"),
        ({"product_code": "E0685P00"}, "donor_classification_mismatch"),  # paid type, volunteer donor
        ({"expires_at": datetime(2028, 12, 31, 23, 59)}, "naive_datetime"),  # noqa: DTZ001
        ({"collected_at": la("2029-01-01T00:00")}, "expired_at_collection"),
        ({"volume_ml": 0}, "invalid_volume"),
        ({"storage": "  "}, "missing_text"),
    ],
)
def test_content_is_checked(changes, code):
    with pytest.raises(LabelError) as caught:
        content(**changes)
    assert caught.value.code == code


def test_paid_statement_agrees_with_a_paid_collection_type():
    label = content(product_code="E0685P00", donor_classification="paid")
    assert label_text(label).donor_statement == "PAID DONOR"
    assert label_text(content()).donor_statement == "VOLUNTEER DONOR"


# --- scan check --------------------------------------------------------------------------

ALL = ["=A99992112345600", "=%6200", "=<A0002V00", "&>0283662359"]


def test_all_four_scanned_verify_in_any_order_with_line_ends():
    assert scan_check(content(), ALL) == []
    assert scan_check(content(), [s + "\r\n" for s in reversed(ALL)]) == []


def test_wrong_product_code_names_the_bar_code_and_both_values():
    scans = [*ALL[:2], "=<A0003V00", ALL[3]]
    [mismatch] = scan_check(content(), scans)
    assert (mismatch.name, mismatch.expected, mismatch.scanned) == (
        "product code",
        "=<A0002V00",
        "=<A0003V00",
    )
    assert "product code scanned =<A0003V00 but the record says =<A0002V00" in mismatch.message


def test_missing_bar_code():
    [mismatch] = scan_check(content(), ALL[:3])
    assert (mismatch.name, mismatch.expected, mismatch.scanned) == ("expiry", "&>0283662359", None)
    assert "not scanned" in mismatch.message
    assert "lower right" in mismatch.message


def test_nothing_scanned_is_four_mismatches():
    assert [m.name for m in scan_check(content(), [])] == ["DIN", "blood group", "product code", "expiry"]


def test_din_of_another_unit():
    [mismatch] = scan_check(content(), ["=A99992112345700", *ALL[1:]])
    assert mismatch.name == "DIN"
    assert mismatch.expected == "=A99992112345600"
    assert "A9999 21 123457" in mismatch.message
    assert "another unit" in mismatch.message


def test_garbage_and_unknown_identifiers_are_mismatches():
    mismatches = scan_check(content(), [*ALL, "hello", "=)1234567890"])
    assert [(m.name, m.expected, m.scanned) for m in mismatches] == [
        ("unknown", None, "hello"),
        ("unknown", None, "=)1234567890"),
    ]


def test_extra_wrong_scan_of_a_scanned_bar_code_is_a_mismatch():
    mismatches = scan_check(content(), [*ALL, "=%9500"])
    assert [(m.name, m.scanned) for m in mismatches] == [("blood group", "=%9500")]


def test_date_only_expiry_scan_is_a_mismatch():
    [mismatch] = scan_check(content(), [*ALL[:3], "=>028366"])
    assert mismatch.name == "expiry"
    assert "005" in mismatch.message


# --- digest ------------------------------------------------------------------------------


def test_digest_is_stable_and_bound_to_what_is_printed():
    digest = content_digest(content())
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert content_digest(content()) == digest
    assert content_digest(content(special_testing=("CMV antibody negative",))) != digest
    assert content_digest(content(product_code="A0003V00")) != digest
    assert content_digest(content(donor_classification="paid")) != digest
    assert content_digest(content(din=Din("A9999", "21", "123456").with_check_flags())) != digest


# --- PDF round trip ----------------------------------------------------------------------

ROUND_TRIP = [
    content(),
    content(
        din=Din("W0000", "09", "123456").with_check_flags(),
        abo="AB",
        rhd="NEG",
        product_code="E0685P00",
        donor_classification="paid",
        expires_at=la("2028-02-29T06:00"),
        label_shows_time=True,
        collected_at=la("2028-02-28T06:00"),
        special_testing=(),
        license_number="",
        volume_ml=None,
    ),
    content(abo="O", rhd="NEG", din=Din("G1234", "17", "654321").with_check_flags()),
]


def render(pdf: bytes, dpi: int = 600):
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    page = document[0]
    width, height = page.get_size()
    assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (100.0, 100.0)
    return page.render(scale=dpi / 72).to_pil().convert("L"), page.get_textpage().get_text_range()


@pytest.mark.parametrize("label", ROUND_TRIP, ids=["A-pos-volunteer", "AB-neg-paid-timed", "O-neg"])
def test_pdf_bar_codes_decode_to_the_record(label):
    image, _ = render(label_pdf(label))
    results = zxingcpp.read_barcodes(image)
    decoded = [result.text for result in results]
    assert len(decoded) == 4
    assert set(decoded) == {b.data for b in barcodes(label)}
    assert scan_check(label, decoded) == []
    # Each bar code is in its own quadrant (ST-001 label layout).
    where = {}
    for result in results:
        corner = result.position.top_left
        row = "upper" if corner.y < image.height / 2 else "lower"
        column = "left" if corner.x < image.width / 2 else "right"
        where[result.text] = f"{row} {column}"
    assert where == {b.data: b.quadrant for b in barcodes(label)}


@pytest.mark.parametrize("label", ROUND_TRIP, ids=["A-pos-volunteer", "AB-neg-paid-timed", "O-neg"])
def test_pdf_text_carries_the_statements(label):
    _, text = render(label_pdf(label), dpi=72)
    words = " ".join(text.split())
    expected = label_text(label)
    assert expected.donor_statement in words
    assert expected.expires in words
    assert expected.rh in words
    assert expected.din in words
    assert expected.collected in words
    for statement in expected.special_testing:
        assert statement in words
    if label.label_shows_time:
        assert f"{label.expires_at:%H:%M}" in words
    else:
        assert "23:59" not in words
    other = "VOLUNTEER DONOR" if label.donor_classification == "paid" else "PAID DONOR"
    assert other not in words


def test_rh_negative_is_white_on_black():
    # 21 CFR 606.121(d). The Rh band is at the bottom of the upper-right quadrant.
    def band_darkness(label):
        image, _ = render(label_pdf(label), dpi=150)
        side = image.width
        band = image.crop((int(side * 0.56), int(side * 0.43), int(side * 0.94), int(side * 0.47)))
        histogram = band.histogram()
        return sum(histogram[:128]) / sum(histogram)

    negative = band_darkness(content(rhd="NEG"))
    positive = band_darkness(content(rhd="POS"))
    assert 0.6 < negative < 0.9  # a black band with white letters in it (not black on black)
    assert 0.05 < positive < 0.4  # black letters on white


def test_pdf_is_deterministic():
    assert label_pdf(content()) == label_pdf(content())


def test_text_that_cannot_fit_is_refused_not_cut():
    with pytest.raises(LabelError) as caught:
        label_pdf(content(special_testing=tuple(f"Special test number {n} negative" for n in range(40))))
    assert caught.value.code == "text_does_not_fit"


# --- ZPL ---------------------------------------------------------------------------------


def zpl_barcode_data(zpl: str) -> list[str]:
    """Read back each ^BC field: ZPL invocation codes (>: start B, >5/>6 subset C/B, >0 '>',
    >< '^', >= '~') turned back into the characters a scanner would return."""
    fields = re.findall(r"\^BC[^\^]*\^FD(.*?)\^FS", zpl)
    decoded = []
    for field in fields:
        out, index = [], 0
        while index < len(field):
            if field[index] == ">":
                code = field[index + 1]
                out.append({"0": ">", "<": "^", "=": "~"}.get(code, ""))
                index += 2
            else:
                out.append(field[index])
                index += 1
        decoded.append("".join(out))
    return decoded


@pytest.mark.parametrize("label", ROUND_TRIP, ids=["A-pos-volunteer", "AB-neg-paid-timed", "O-neg"])
def test_zpl_bar_codes_carry_the_record(label):
    zpl = label_zpl(label)
    assert zpl.startswith("^XA")
    assert zpl.rstrip().endswith("^XZ")
    found = zpl_barcode_data(zpl)
    assert len(found) == 4
    assert set(found) == {b.data for b in barcodes(label)}
    assert scan_check(label, found) == []


@pytest.mark.parametrize(("dpi", "dots"), [(203, 799), (300, 1181), (600, 2362)])
def test_zpl_label_size_in_dots(dpi, dots):
    zpl = label_zpl(content(), dpi=dpi)
    assert f"^PW{dots}\n" in zpl
    assert f"^LL{dots}\n" in zpl


def test_zpl_statements_and_escapes():
    zpl = label_zpl(content(product_code="E0685P00", donor_classification="paid"))
    assert "^FDPAID DONOR^FS" in zpl
    assert "VOLUNTEER DONOR" not in zpl
    assert "^FDStore at 1 to 6 _C2_B0C^FS" in zpl  # ° as UTF-8 under ^CI28
    tricky = label_zpl(content(product_description="PLASMA ^XZ ~JA under_score"))
    assert "PLASMA _5EXZ _7EJA under_5Fscore" in tricky
    assert tricky.count("^XZ") == 1  # the field's ^XZ cannot end the label early


def test_zpl_greater_than_is_written_as_an_invocation_code():
    field, _ = code128_field_data("&>0283662359")
    assert field == ">:&>0>50283662359"  # '>' is >0; the ten digits go to subset C


@pytest.mark.parametrize("value", [*ALL, "=%9500", "=<E4306V00", "&>0290010000", "=G12341765432170"])
def test_zpl_symbol_width_matches_an_independent_code_128_encoder(value):
    # reportlab's Code 128 also packs digit runs in subset C; both give the same symbol length.
    _, modules = code128_field_data(value)
    assert modules == round(Code128(value, barWidth=1, quiet=0).width)
