"""Pure household-row rules: parse_row's normalisation and rejects, row_dict, FileDuplicates."""
from __future__ import annotations

import pytest

from campaigns.household_lists.rows import (
    MAX_FIELD_CHARS, REGION_DEFAULTED, TIMEZONE_DEFAULTED, FileDuplicates, HouseholdRow, Reject, Unreadable,
    canonical_timezone, parse_chunk, parse_row, row_dict,
)

BASE = {"household_id": "H1", "phone": "(202) 456-1111"}


def parse(region: str = "US", default_timezone: str = "Europe/London", **cells) -> HouseholdRow | Reject:
    return parse_row({**BASE, **cells}, line=7, region=region, default_timezone=default_timezone)


def row(household_id: str, phone: str) -> HouseholdRow:
    return HouseholdRow(id=household_id, phone=phone, contact_name=None, members=1, member_names=None,
                        language="en", timezone="UTC", community=None)


def test_parse_row_defaults_for_a_minimal_row():
    assert parse() == HouseholdRow(
        id="H1", phone="+12024561111", contact_name=None, members=1, member_names=None,
        language="", timezone="Europe/London", community=None, defaulted=(TIMEZONE_DEFAULTED, REGION_DEFAULTED),
    )


def test_parse_row_keeps_every_given_field():
    parsed = parse(contact_name="Ann Lee", members="3", member_names="Ann; Bob ;;Cy", language="zh",
                   timezone="Asia/Shanghai", community="North")
    assert parsed == HouseholdRow(
        id="H1", phone="+12024561111", contact_name="Ann Lee", members=3, member_names="Ann;Bob;Cy",
        language="zh", timezone="Asia/Shanghai", community="North", defaulted=(REGION_DEFAULTED,),
    )


@pytest.mark.parametrize("phone, region, expected", [
    ("(202) 456-1111", "US", "+12024561111"),
    ("202-456-1111", "US", "+12024561111"),
    ("+1 202 456 1111", "CN", "+12024561111"),  # E.164 ignores the region
    ("138 0013 8000", "CN", "+8613800138000"),  # Chinese mobile, national form
    ("010 6552 9988", "CN", "+861065529988"),  # Beijing landline with trunk prefix
    ("+86 138 0013 8000", "US", "+8613800138000"),
], ids=["us-national", "us-dashes", "e164-under-cn", "cn-mobile", "cn-landline", "cn-e164-under-us"])
def test_parse_row_normalizes_phone_for_region(phone, region, expected):
    assert parse(phone=phone, region=region).phone == expected


@pytest.mark.parametrize("cells, reason", [
    ({"household_id": ""}, "missing household_id"),
    ({"household_id": "x" * 65}, "household_id longer than 64 characters"),
    ({"phone": ""}, "missing phone"),
    ({"phone": "12345"}, "invalid phone number '12345' (region US)"),
    ({"phone": "138 0013 8000"}, "invalid phone number '138 0013 8000' (region US)"),  # CN number, US region
    ({"timezone": "Mars/Olympus"}, "unknown timezone 'Mars/Olympus'"),
    ({"members": "two"}, "members 'two' is not a whole number"),
    ({"members": "2.5"}, "members '2.5' is not a whole number"),
    ({"members": "-1"}, "members '-1' is not a whole number"),
    ({"members": "0"}, "members 0 is not between 1 and 50"),
    ({"members": "51"}, "members 51 is not between 1 and 50"),
    ({"members": "2", "member_names": "A;B;C"}, "member_names lists 3 names but members is 2"),
    ({"member_names": ";".join("P%d" % i for i in range(51))}, "members 51 is not between 1 and 50"),
], ids=["no-id", "long-id", "no-phone", "short-phone", "wrong-region", "bad-zone", "members-word",
        "members-fraction", "members-negative", "members-zero", "members-51", "too-many-names",
        "names-imply-51"])
def test_parse_row_rejects_with_reason(cells, reason):
    assert parse(**cells) == Reject(line=7, household_id={**BASE, **cells}["household_id"], reason=reason,
                                    raw={**BASE, **cells})


def test_parse_row_reports_every_problem_of_a_row():
    rejected = parse(household_id="", phone="1", members="0", timezone="Nowhere")
    assert rejected.reason == ("missing household_id; invalid phone number '1' (region US); "
                               "members 0 is not between 1 and 50; unknown timezone 'Nowhere'")


@pytest.mark.parametrize("members, names, expected", [
    ("", "", 1),
    ("", "A;B;C", 3),  # no count given: the names count
    ("3.0", "", 3),  # what a spreadsheet may write for a count
    (" 50 ", "", 50),
    ("4", "A;B", 4),
], ids=["empty", "from-names", "float-form", "max", "fewer-names"])
def test_parse_row_members_count(members, names, expected):
    assert parse(members=members, member_names=names).members == expected


@pytest.mark.parametrize("given, expected", [
    ("", "Europe/London"),  # the default
    ("America/New_York", "America/New_York"),
    ("asia/shanghai", "Asia/Shanghai"),  # spelled in another case
    ("UTC", "UTC"),
], ids=["default", "exact", "case", "utc"])
def test_parse_row_timezone(given, expected):
    assert parse(timezone=given).timezone == expected


def test_canonical_timezone_unknown_is_none():
    assert canonical_timezone("Mars/Olympus") is None
    assert canonical_timezone("../etc/passwd") is None


def test_row_dict_lowercase_keys_stripped_values_short_rows():
    keys = ["household_id", "phone", "", "pickup", "members"]
    assert row_dict(keys, [" H1 ", "+12024561111 ", "x", "yes"]) == {
        "household_id": "H1", "phone": "+12024561111", "pickup": "yes", "members": ""}


def test_parse_chunk_keeps_order_and_lines():
    keys = ["household_id", "phone"]
    parsed = parse_chunk([(2, ["H1", "(202) 456-1111"]), (5, ["H2", "nope"])],
                         keys=keys, region="US", default_timezone="UTC")
    assert parsed[0].id == "H1"
    assert (parsed[1].line, parsed[1].reason) == (5, "invalid phone number 'nope' (region US)")


def test_file_duplicates_repeated_id_and_phone():
    rules = FileDuplicates()
    first = rules.check([row("H1", "+12024561111"), row("H1", "+12024561112"), row("H2", "+12024561111")], {})
    assert first == [None, "household_id H1 repeated in this file",
                     "phone already used by household H1 earlier in this file"]
    # A later chunk: the earlier phone is now in the database under H1.
    assert rules.check([row("H3", "+12024561111")], {"+12024561111": "H1"}) == [
        "phone already used by household H1 earlier in this file"]


def test_file_duplicates_rejected_id_still_counts_as_seen():
    rules = FileDuplicates()
    bad = Reject(line=2, household_id="H1", reason="missing phone", raw={})
    assert rules.check([bad, row("H1", "+12024561111")], {}) == [None, "household_id H1 repeated in this file"]


def test_file_duplicates_phone_held_in_database():
    rules = FileDuplicates()
    owners = {"+12024561111": "OLD", "+12024561112": "H2"}
    assert rules.check([row("H1", "+12024561111"), row("H2", "+12024561112")], owners) == [
        "phone already used by household OLD in the database", None]


def test_file_duplicates_phone_freed_by_a_move_earlier_in_the_chunk():
    rules = FileDuplicates()
    owners = {"+12024561111": "OLD"}  # OLD holds 1111 in the database, moves to 2222 first
    assert rules.check([row("OLD", "+12024562222"), row("NEW", "+12024561111")], owners) == [None, None]


@pytest.mark.parametrize("column", ["phone", "contact_name", "members", "member_names", "language", "timezone",
                                    "community"])
def test_parse_row_rejects_any_field_over_1000_characters_without_echoing_it(column):
    assert MAX_FIELD_CHARS == 1000
    assert isinstance(parse(**{column: "7" * 1000}), (HouseholdRow, Reject))  # at the cap: judged as usual
    parsed = parse(**{column: "7" * 1001, "household_id": "x" * 65})
    assert isinstance(parsed, Reject)
    assert parsed.reason == f"household_id longer than 64 characters; {column} longer than 1,000 characters"


def test_parse_row_members_of_hundreds_of_digits_is_a_reject_not_a_crash():
    parsed = parse(members="9" * 400)
    assert isinstance(parsed, Reject) and parsed.reason == f"members {'9' * 400} is not between 1 and 50"


def test_parse_row_at_the_field_cap_is_accepted():
    parsed = parse(contact_name="A" * 1000, community="N" * 1000)
    assert isinstance(parsed, HouseholdRow) and len(parsed.contact_name) == len(parsed.community) == 1000


def test_parse_chunk_turns_an_unreadable_record_into_a_reject():
    keys = ["household_id", "phone"]
    records = [(2, ["H1", "(202) 456-1111"]), (3, Unreadable("row longer than 100,000 characters")),
               (4, ["H2", "(202) 456-1112"])]
    parsed = parse_chunk(records, keys=keys, region="US", default_timezone="UTC")
    assert [type(item).__name__ for item in parsed] == ["HouseholdRow", "Reject", "HouseholdRow"]
    assert parsed[1] == Reject(line=3, household_id="", reason="row longer than 100,000 characters", raw={})
