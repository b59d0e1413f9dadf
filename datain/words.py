"""The sentences of data-in, kept as keys and parameters (``core.said``) in what an import or a sync
stores (``ImportRun.errors`` and ``message``, ``SyncRun.errors`` and ``message``) and put into words
when read, in the reader's language: on the import and sync pages, in the admin and in the API.

A row error keeps its stable ``code`` (docs/data-contract.md) for machines and, for people, the key of
its sentence and the sentence's parameters: the row, the column and the value quoted stay fields of
the error itself."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from core.said import Params, says, stored_words

# --- a cell ---------------------------------------------------------------------------------------

REQUIRED = "datain.required"
OUT_OF_YEARS = "datain.out_of_years"
NOT_A_DATE = "datain.not_a_date"
NOT_A_DATETIME = "datain.not_a_datetime"
NOT_AN_AMOUNT = "datain.not_an_amount"
NOT_A_WHOLE_NUMBER = "datain.not_a_whole_number"
AT_LEAST = "datain.at_least"
AT_MOST = "datain.at_most"
NOT_A_CHOICE = "datain.not_a_choice"
TOO_LONG = "datain.too_long"
NOT_A_SOURCE_NAME = "datain.not_a_source_name"
NOT_AN_EMAIL = "datain.not_an_email"
NO_SUCH_ACCOUNT = "datain.no_such_account"
NO_SUCH_PERSON = "datain.no_such_person"
WRONG_ROLE = "datain.wrong_role"
NUL = "datain.nul"
LONE_SURROGATE = "datain.lone_surrogate"


@says(NUL)
def _nul(p: Params) -> str:
    return _("contains a NUL character")


@says(LONE_SURROGATE)
def _lone_surrogate(p: Params) -> str:
    return _("contains a lone surrogate (U+%(code)04X), which is not text") % {"code": p["code"]}


@says(REQUIRED)
def _required(p: Params) -> str:
    return _("is required")


@says(OUT_OF_YEARS)
def _out_of_years(p: Params) -> str:
    return _("must fall within the years %(first)s to %(last)s") % {"first": p["first"], "last": p["last"]}


@says(NOT_A_DATE)
def _not_a_date(p: Params) -> str:
    return _("is not a date in the form YYYY-MM-DD")


@says(NOT_A_DATETIME)
def _not_a_datetime(p: Params) -> str:
    return _("is not an ISO 8601 datetime such as 2026-07-03T14:05:00+02:00")


@says(NOT_AN_AMOUNT)
def _not_an_amount(p: Params) -> str:
    return _("is not an amount such as 1250.00 (a '.' and at most 2 decimals)")


@says(NOT_A_WHOLE_NUMBER)
def _not_a_whole_number(p: Params) -> str:
    return _("is not a whole number")


@says(AT_LEAST)
def _at_least(p: Params) -> str:
    return _("must be at least %(minimum)s") % {"minimum": p["minimum"]}


@says(AT_MOST)
def _at_most(p: Params) -> str:
    return _("must be at most %(maximum)s") % {"maximum": p["maximum"]}


@says(NOT_A_CHOICE)
def _not_a_choice(p: Params) -> str:
    return _("must be one of %(values)s") % {"values": ", ".join(p["values"])}


@says(TOO_LONG)
def _too_long(p: Params) -> str:
    return _("is longer than %(length)s characters") % {"length": p["length"]}


@says(NOT_A_SOURCE_NAME)
def _not_a_source_name(p: Params) -> str:
    return _("is not a source name: a letter, then letters, digits, - or _ (at most 32), e.g. zendesk")


@says(NOT_AN_EMAIL)
def _not_an_email(p: Params) -> str:
    return _("is not an email address")


@says(NO_SUCH_ACCOUNT)
def _no_such_account(p: Params) -> str:
    return _("no account has this external_id")


@says(NO_SUCH_PERSON)
def _no_such_person(p: Params) -> str:
    return _("no person has this email")


@says(WRONG_ROLE)
def _wrong_role(p: Params) -> str:
    return _("this person is a %(role)s, not a %(wanted)s") % {"role": p["role"], "wanted": p["wanted"]}


# --- the rules between a row's cells, and between rows (datain.kinds) ----------------------------

ABOVE_ZERO_FOR_KIND = "datain.above_zero_for_kind"
NOT_NEGATIVE_FOR_RENEWAL = "datain.not_negative_for_renewal"
BELOW_ZERO_FOR_KIND = "datain.below_zero_for_kind"
MRR_BELOW_ZERO = "datain.mrr_below_zero"
BEFORE_OPENED = "datain.before_opened"
EMPTY_WHILE_UNRESOLVED = "datain.empty_while_unresolved"
REQUIRED_ONCE_RESOLVED = "datain.required_once_resolved"
SCORE_BETWEEN = "datain.score_between"
DAU_ABOVE_MAU = "datain.dau_above_mau"
FEATURES_ABOVE_AVAILABLE = "datain.features_above_available"
SEGMENT_REQUIRED = "datain.segment_required"
FOR_CSMS_ONLY = "datain.for_csms_only"
TEAM_HAS_MANAGER = "datain.team_has_manager"
NOT_TEAM_MANAGER = "datain.not_team_manager"
BEFORE_SIGNED = "datain.before_signed"
BEFORE_START = "datain.before_start"


@says(ABOVE_ZERO_FOR_KIND)
def _above_zero_for_kind(p: Params) -> str:
    return _("must be greater than 0 for kind %(kind)s") % {"kind": p["kind"]}


@says(NOT_NEGATIVE_FOR_RENEWAL)
def _not_negative_for_renewal(p: Params) -> str:
    return _("must be 0 or more for kind renewal")


@says(BELOW_ZERO_FOR_KIND)
def _below_zero_for_kind(p: Params) -> str:
    return _("must be less than 0 for kind %(kind)s") % {"kind": p["kind"]}


@says(MRR_BELOW_ZERO)
def _mrr_below_zero(p: Params) -> str:
    return _("takes the MRR of account %(account)s below 0 (%(balance)s after %(day)s)") % {
        "account": p["account"],
        "balance": p["balance"],
        "day": p["day"],
    }


@says(BEFORE_OPENED)
def _before_opened(p: Params) -> str:
    return _("must not be before opened_at")


@says(EMPTY_WHILE_UNRESOLVED)
def _empty_while_unresolved(p: Params) -> str:
    return _("must be empty while the ticket is unresolved")


@says(REQUIRED_ONCE_RESOLVED)
def _required_once_resolved(p: Params) -> str:
    return _("is required once the ticket is resolved")


@says(SCORE_BETWEEN)
def _score_between(p: Params) -> str:
    return _("must be between %(low)s and %(high)s for kind %(kind)s") % {
        "low": p["low"],
        "high": p["high"],
        "kind": p["kind"],
    }


@says(DAU_ABOVE_MAU)
def _dau_above_mau(p: Params) -> str:
    return _("must not be greater than mau")


@says(FEATURES_ABOVE_AVAILABLE)
def _features_above_available(p: Params) -> str:
    return _("must not be greater than features_available")


@says(SEGMENT_REQUIRED)
def _segment_required(p: Params) -> str:
    return _("is required for a CSM")


@says(FOR_CSMS_ONLY)
def _for_csms_only(p: Params) -> str:
    return _("is for CSMs only")


@says(TEAM_HAS_MANAGER)
def _team_has_manager(p: Params) -> str:
    return _("this team already gets a manager on row %(row)s") % {"row": p["row"]}


@says(NOT_TEAM_MANAGER)
def _not_team_manager(p: Params) -> str:
    return _("is not the manager of team %(team)s (its manager is %(manager)s)") % {
        "team": p["team"] or _("(none)"),
        "manager": p["manager"] or _("nobody"),
    }


@says(BEFORE_SIGNED)
def _before_signed(p: Params) -> str:
    return _("must not be before signed_on")


@says(BEFORE_START)
def _before_start(p: Params) -> str:
    return _("must not be before start_date")


# --- a file, a header, a request ------------------------------------------------------------------

DUPLICATE_COLUMN = "datain.duplicate_column"
UNKNOWN_COLUMN = "datain.unknown_column"
MISSING_FROM_HEADER = "datain.missing_from_header"
EMPTY_FILE = "datain.empty_file"
HEADER_NOT_UTF8 = "datain.header_not_utf8"
WRONG_FIELD_COUNT = "datain.wrong_field_count"
NOT_UTF8 = "datain.not_utf8"
NOT_A_LIST = "datain.not_a_list"
TOO_MANY_ROWS = "datain.too_many_rows"
NOT_AN_OBJECT = "datain.not_an_object"
UNKNOWN_FIELD = "datain.unknown_field"
MISSING = "datain.missing"
NOT_A_VALUE = "datain.not_a_value"
UNCLOSED_QUOTE = "datain.unclosed_quote"
TEXT_AFTER_QUOTE = "datain.text_after_quote"
NOT_CSV = "datain.not_csv"
DUPLICATE_KEY = "datain.duplicate_key"
DATABASE_REFUSED = "datain.database_refused"


@says(DUPLICATE_COLUMN)
def _duplicate_column(p: Params) -> str:
    return _("appears twice in the header")


@says(UNKNOWN_COLUMN)
def _unknown_column(p: Params) -> str:
    return _("is not a column of %(kind)s (expected: %(columns)s)") % {
        "kind": p["kind"],
        "columns": ", ".join(p["columns"]),
    }


@says(MISSING_FROM_HEADER)
def _missing_from_header(p: Params) -> str:
    return _("is missing from the header")


@says(EMPTY_FILE)
def _empty_file(p: Params) -> str:
    return _("the file is empty: a header row is required")


@says(HEADER_NOT_UTF8)
def _header_not_utf8(p: Params) -> str:
    return _("the header is not valid UTF-8")


@says(WRONG_FIELD_COUNT)
def _wrong_field_count(p: Params) -> str:
    return _("has %(found)s fields where the header has %(width)s") % {
        "found": p["found"],
        "width": p["width"],
    }


@says(NOT_UTF8)
def _not_utf8(p: Params) -> str:
    return _("is not valid UTF-8 text")


@says(NOT_A_LIST)
def _not_a_list(p: Params) -> str:
    return _("the body must be a JSON list of objects")


@says(TOO_MANY_ROWS)
def _too_many_rows(p: Params) -> str:
    return _("at most %(limit)s rows a request (got %(found)s)") % {"limit": p["limit"], "found": p["found"]}


@says(NOT_AN_OBJECT)
def _not_an_object(p: Params) -> str:
    return _("must be a JSON object")


@says(UNKNOWN_FIELD)
def _unknown_field(p: Params) -> str:
    return _("is not a field of %(kind)s") % {"kind": p["kind"]}


@says(MISSING)
def _missing(p: Params) -> str:
    return _("is missing")


@says(NOT_A_VALUE)
def _not_a_value(p: Params) -> str:
    return _("must be one value (text, a number, true, false or null), not a JSON list or object")


@says(UNCLOSED_QUOTE)
def _unclosed_quote(p: Params) -> str:
    return _(
        'has a quote (") that opens a cell and is never closed: the rest of the file, '
        "up to line %(line)s, would be read as that one cell"
    ) % {"line": p["line"]}


@says(TEXT_AFTER_QUOTE)
def _text_after_quote(p: Params) -> str:
    return _(
        'has a quoted cell with text after its closing quote: a quote inside a quoted cell is written twice ("")'
    )


@says(NOT_CSV)
def _not_csv(p: Params) -> str:
    return _("is not readable CSV (%(error)s)") % {"error": p["error"]}


@says(DUPLICATE_KEY)
def _duplicate_key(p: Params) -> str:
    return _("appears earlier in this load with the same key (row %(row)s)") % {"row": p["row"]}


@says(DATABASE_REFUSED)
def _database_refused(p: Params) -> str:
    return _("the database refused rows %(first)s-%(last)s: %(error)s") % {
        "first": p["first"],
        "last": p["last"],
        "error": p["error"],
    }


# --- another system's records (datain.sources) ----------------------------------------------------

IN_SOURCE = "datain.in_source"
WITH_COLUMN = "datain.with_column"
NO_MATCH = "datain.no_match"
MISSING_FOR_MAPPING = "datain.missing_for_mapping"
NOT_JSON = "datain.not_json"
MAPPING_FILE = "datain.mapping_file"


@says(MAPPING_FILE)
def _mapping_file(p: Params) -> str:
    return _("the mapping file: %(problem)s") % {"problem": p["problem"]}


NOT_SOURCE_JSON = "datain.not_source_json"
NOT_SOURCE_SHAPE = "datain.not_source_shape"


@says(NOT_SOURCE_JSON)
def _not_source_json(p: Params) -> str:
    return _("the file is not the JSON of %(source)s: %(error)s") % {
        "source": p["source"],
        "error": p["error"],
    }


@says(NOT_SOURCE_SHAPE)
def _not_source_shape(p: Params) -> str:
    return _("not what %(source)s answers: %(error)s") % {"source": p["source"], "error": p["error"]}


@says(MISSING_FOR_MAPPING)
def _missing_for_mapping(p: Params) -> str:
    return _("is missing from the header (the mapping reads it)")


@says(NOT_JSON)
def _not_json(p: Params) -> str:
    return _("the file is not JSON: %(error)s") % {"error": p["error"]}


@says(IN_SOURCE)
def _in_source(p: Params) -> str:
    return _("%(source)s %(record)s: %(message)s") % {
        "source": p["source"],
        "record": p["record"],
        "message": p["message"],
    }


@says(WITH_COLUMN)
def _with_column(p: Params) -> str:
    return _("%(message)s (%(column)s)") % {"message": p["message"], "column": p["column"]}


@says(NO_MATCH)
def _no_match(p: Params) -> str:
    return _(
        "no account matches %(field)s %(value)s: add it to the account crosswalk "
        "(kind source_accounts) or give the account this external_id"
    ) % {"field": p["field"], "value": repr(p["value"])}


# --- what a run says of itself (``ImportRun.message``, ``SyncRun.message``) -----------------------

FOLLOW_UPS = "datain.follow_ups"
SOURCE_UNREACHABLE = "datain.source_unreachable"
SOURCE_BUSY = "datain.source_busy"
SOURCE_REFUSED = "datain.source_refused"
SOURCE_SILENT = "datain.source_silent"


@says(SOURCE_UNREACHABLE)
def _source_unreachable(p: Params) -> str:
    return _("%(source)s could not be reached after %(tries)s tries: %(error)s") % {
        "source": p["source"],
        "tries": p["tries"],
        "error": p["error"],
    }


@says(SOURCE_BUSY)
def _source_busy(p: Params) -> str:
    return _(
        "%(source)s answered %(status)s %(tries)s times in a row (%(answer)s); the next sync will try again"
    ) % {"source": p["source"], "status": p["status"], "tries": p["tries"], "answer": p["answer"]}


@says(SOURCE_REFUSED)
def _source_refused(p: Params) -> str:
    return _("%(source)s refused %(method)s %(path)s: %(status)s %(answer)s") % {
        "source": p["source"],
        "method": p["method"],
        "path": p["path"],
        "status": p["status"],
        "answer": p["answer"],
    }


@says(SOURCE_SILENT)
def _source_silent(p: Params) -> str:
    return _("%(source)s: no answer") % {"source": p["source"]}


SYNC_BUSY = "datain.sync_busy"
SYNC_DATABASE = "datain.sync_database"
SYNC_UNEXPECTED = "datain.sync_unexpected"
SYNC_INVALID = "datain.sync_invalid"
SYNC_INVALID_OF_KIND = "datain.sync_invalid_of_kind"
WORKER_FAILED_CHECKING = "datain.worker_failed_checking"
WORKER_FAILED_IMPORTING = "datain.worker_failed_importing"
WORKER_STOPPED_CHECKING = "datain.worker_stopped_checking"
WORKER_STOPPED_IMPORTING = "datain.worker_stopped_importing"
FILE_GONE = "datain.file_gone"


@says(FOLLOW_UPS)
def _follow_ups(p: Params) -> str:
    """Sentences said one after the other (what an import set off, a source's notes): each kept as a
    key and its parameters, or as text."""
    return " ".join(filter(None, (stored_words(n) for n in p["notices"])))


@says(SYNC_BUSY)
def _sync_busy(p: Params) -> str:
    return _("another %(source)s sync is loading; this one wrote nothing") % {"source": p["source"]}


@says(SYNC_DATABASE)
def _sync_database(p: Params) -> str:
    return _("the database refused the load: %(error)s") % {"error": p["error"]}


@says(SYNC_UNEXPECTED)
def _sync_unexpected(p: Params) -> str:
    return _("the sync stopped on an unexpected error (see the log)")


@says(SYNC_INVALID)
def _sync_invalid(p: Params) -> str:
    return _("%(count)s invalid rows: nothing was written.") % {"count": p["count"]}


@says(WORKER_FAILED_CHECKING)
def _worker_failed_checking(p: Params) -> str:
    return _("The worker failed while checking the file: %(error)s.") % {"error": p["error"]}


@says(FILE_GONE)
def _file_gone(p: Params) -> str:
    return _("The uploaded file is gone. Upload it again.")


@says(WORKER_FAILED_IMPORTING)
def _worker_failed_importing(p: Params) -> str:
    return _(
        "The worker failed while importing: %(error)s. Nothing was written: the import is all-or-nothing."
    ) % {"error": p["error"]}


@says(WORKER_STOPPED_IMPORTING)
def _worker_stopped_importing(p: Params) -> str:
    from core.jobs import since_words  # noqa: PLC0415 -- core.jobs says its own keys when imported

    return _(
        "The worker stopped while importing (no sign of life since %(since)s). "
        "Nothing was written: the import is all-or-nothing. Retry."
    ) % {"since": since_words(p)}


@says(WORKER_STOPPED_CHECKING)
def _worker_stopped_checking(p: Params) -> str:
    from core.jobs import since_words  # noqa: PLC0415 -- core.jobs says its own keys when imported

    return _(
        "The worker stopped while checking the file (no sign of life since %(since)s). Nothing was written. Retry."
    ) % {"since": since_words(p)}


def error_words(error: dict[str, Any]) -> str:
    """A stored row error (``RowError.stored``) in words: its sentence's key and parameters, or the
    sentence stored before keys were kept."""
    if "said" in error:
        return stored_words(error)
    return str(error.get("message", ""))


def shown_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored row errors as a page or the API shows them: row, column, value, code and the sentence."""
    return [
        {
            "row": e.get("row", 0),
            "column": e.get("column", ""),
            "value": e.get("value", ""),
            "code": e.get("code", ""),
            "message": error_words(e),
        }
        for e in errors
    ]


# --- a source record's own problems, the records skipped, the mapping file (datain.sources) --------
# Sentences without logic: the key and its msgid (marked for extraction), said with its parameters.


def _sentence(key: str, msgid: str) -> str:
    def say(p: Params) -> str:
        text = _(msgid)
        return text % p if p else text

    says(key)(say)
    return key


NOT_A_RECORD_OBJECT = _sentence("datain.source.not_an_object", gettext_noop("is not an object"))
NOT_A_COMPANY = _sentence("datain.source.not_a_company", gettext_noop("is not a company"))
FIELD_MISSING = _sentence("datain.source.field_missing", gettext_noop("%(field)s is missing"))
FIELD_PROBLEM = _sentence("datain.source.field_problem", gettext_noop("%(field)s %(problem)s"))
NOT_A_TIMESTAMP = _sentence("datain.source.not_a_timestamp", gettext_noop("is not a timestamp"))
NOT_AN_ISO_TIMESTAMP = _sentence(
    "datain.source.not_an_iso_timestamp", gettext_noop("is not an ISO 8601 timestamp")
)
TOO_MANY_MINUTES = _sentence("datain.source.too_many_minutes", gettext_noop("is too many minutes"))
NOT_A_UNIX_TIME = _sentence("datain.source.not_a_unix_time", gettext_noop("is not a unix time"))
NOT_A_NUMBER = _sentence("datain.source.not_a_number", gettext_noop("is not a number"))
NOT_MINUTES = _sentence("datain.source.not_minutes", gettext_noop("is not a number of minutes"))
NOT_CENTS = _sentence("datain.source.not_cents", gettext_noop("is not an amount in cents"))
NOT_IN_FORMAT = _sentence("datain.source.not_in_format", gettext_noop("does not match the format %(format)s"))
NOT_A_MAPPED_VALUE = _sentence(
    "datain.source.not_a_mapped_value",
    gettext_noop("is not one of the values the mapping knows (%(values)s)"),
)
NOT_NPS_OR_CSAT = _sentence(
    "datain.source.not_nps_or_csat", gettext_noop("must be nps or csat (other scales have no kind here)")
)
MUST_BE_AN_OBJECT = _sentence("datain.source.must_be_an_object", gettext_noop("must be an object"))
RESPONDENT_MISSING = _sentence(
    "datain.source.respondent_missing", gettext_noop("is missing: it names the respondent's account")
)
MUST_BE_A_LIST = _sentence("datain.source.must_be_a_list", gettext_noop("must be a list"))
MUST_HOLD_OBJECTS = _sentence("datain.source.must_hold_objects", gettext_noop("must hold objects"))
NO_EMAIL_FOR_USER = _sentence(
    "datain.source.no_email_for_user",
    gettext_noop(
        "no email for the user %(user)s: add it to the owner crosswalk (kind source_owners), "
        "query User.Email or load the User records"
    ),
)
NO_EMAIL_FOR_OWNER_ID = _sentence(
    "datain.source.no_email_for_owner_id",
    gettext_noop(
        "no email for the owner %(owner)s: add it to the owner crosswalk (kind source_owners) "
        "or load the User records"
    ),
)
NO_EMAIL_FOR_OWNER = _sentence(
    "datain.source.no_email_for_owner",
    gettext_noop(
        "no email for this owner: add it to the owner crosswalk (kind source_owners) "
        "or include the owners API's answer"
    ),
)
NOT_A_RECORD_LIST = _sentence(
    "datain.source.not_a_record_list", gettext_noop("'%(key)s' must be a list of records")
)
NO_RECORDS = _sentence(
    "datain.source.no_records",
    gettext_noop("expected a JSON list of records or an object with %(keys)s"),
)
NOT_A_KEY_LIST = _sentence("datain.source.not_a_key_list", gettext_noop("'%(key)s' must be a list"))
OWNER_NOT_AN_OBJECT = _sentence(
    "datain.source.owner_not_an_object", gettext_noop("each owner must be an object")
)
ANSWER_NOT_JSON = _sentence(
    "datain.source.answer_not_json",
    gettext_noop("%(source)s answered %(path)s with something that is not JSON"),
)
NOT_A_TICKET_PAGE = _sentence(
    "datain.source.not_a_ticket_page",
    gettext_noop("Zendesk answered something that is not a page of tickets"),
)
NO_ACCESS_TOKEN = _sentence("datain.source.no_access_token", gettext_noop("Salesforce gave no access token"))

NOT_A_TEAM_ROLE = _sentence(
    "datain.source.not_a_team_role",
    gettext_noop("HUBSPOT_ACCOUNT_TEAM_PROPERTIES: %(role)r is not one of %(roles)s"),
)

# Why records were skipped (``Skipped.reason``), and the note that counts them.
DELETED_TICKETS = _sentence("datain.skip.deleted_tickets", gettext_noop("deleted tickets"))
NO_ORGANIZATION = _sentence("datain.skip.no_organization", gettext_noop("tickets of no organization"))
DELETED_MEMBERS = _sentence("datain.skip.deleted_members", gettext_noop("deleted team members"))
ZERO_MRR = _sentence("datain.skip.zero_mrr", gettext_noop("activities that move MRR by 0"))
UNASSIGNED = _sentence("datain.skip.unassigned", gettext_noop("unassigned spells (no owner)"))
SKIPPED = "datain.skipped"

# Where a source record is, as a person finds it there (a row error's record, a skipped record's
# example): ids and numbers are parameters; the vendors' object names (AccountTeamMember) stay theirs.
L_RECORD = _sentence("datain.label.record", gettext_noop("record %(line)s"))
L_ROW = _sentence("datain.label.row", gettext_noop("row %(line)s"))
L_TICKET = _sentence("datain.label.ticket", gettext_noop("ticket %(id)s (record %(line)s)"))
L_COMPANY = _sentence("datain.label.company", gettext_noop("company %(id)s (record %(line)s)"))
L_RESPONSE = _sentence("datain.label.response", gettext_noop("response %(id)s (record %(line)s)"))
L_ACTIVITY = _sentence("datain.label.activity", gettext_noop("activity %(id)s (record %(line)s)"))
L_SF_ACCOUNT = _sentence("datain.label.sf_account", gettext_noop("Account %(id)s (record %(line)s)"))
L_TEAM_MEMBER = _sentence(
    "datain.label.team_member",
    gettext_noop("AccountTeamMember %(id)s of account %(account)s (record %(line)s)"),
)
L_ACCOUNT_HISTORY = _sentence(
    "datain.label.account_history",
    gettext_noop("AccountHistory %(id)s of account %(account)s (record %(line)s)"),
)
L_HISTORY_CHANGE = _sentence(
    "datain.label.history_change",
    gettext_noop("AccountHistory %(id)s of account %(account)s (record %(line)s), owner %(owner)s"),
)
L_FIRST_OWNER = _sentence("datain.label.first_owner", gettext_noop("%(record)s, first owner"))
L_HISTORY_ENTRY = _sentence(
    "datain.label.history_entry", gettext_noop("%(record)s, history entry %(number)s")
)
L_OWNER_FROM_ENTRY = _sentence(
    "datain.label.owner_from_entry",
    gettext_noop("%(record)s, owner %(owner)s from history entry %(number)s"),
)
L_PROPERTY_FROM_ENTRY = _sentence(
    "datain.label.property_from_entry",
    gettext_noop("%(record)s, %(property)s %(owner)s from history entry %(number)s"),
)


@says(SKIPPED)
def _skipped(p: Params) -> str:
    return ngettext(
        "%(count)s %(source)s record skipped: %(reason)s (e.g. %(examples)s)",
        "%(count)s %(source)s records skipped: %(reason)s (e.g. %(examples)s)",
        p["count"],
    ) % {
        "count": p["count"],
        "source": p["source"],
        "reason": p["reason"],
        "examples": ", ".join(stored_words(e) for e in p["examples"]),
    }


# The mapping file's problems (datain.sources.mapping): said when it is checked, and kept with a load.
M_NO_SUCH_SHIPPED = _sentence(
    "datain.mapping.no_such_shipped",
    gettext_noop("no shipped mapping is called %(name)r (there are: %(names)s)"),
)
M_TOO_BIG = _sentence("datain.mapping.too_big", gettext_noop("a mapping file has at most %(size)s KB"))
M_NOT_YAML_AT = _sentence(
    "datain.mapping.not_yaml_at",
    gettext_noop("not valid YAML at line %(line)s, column %(column)s: %(problem)s"),
)
M_NOT_YAML = _sentence("datain.mapping.not_yaml", gettext_noop("not valid YAML: %(problem)s"))
M_TOO_DEEP = _sentence("datain.mapping.too_deep", gettext_noop("not valid YAML: nested too deep"))
M_NOT_A_MAPPING = _sentence(
    "datain.mapping.not_a_mapping",
    gettext_noop("a mapping file is a YAML mapping with kind, fields and optionally source"),
)
M_UNKNOWN_TOP_KEY = _sentence(
    "datain.mapping.unknown_top_key", gettext_noop("%(key)s: unknown key (expected: %(keys)s)")
)
M_NOT_A_KIND = _sentence(
    "datain.mapping.not_a_kind", gettext_noop("kind: %(kind)r is not a kind (one of %(kinds)s)")
)
M_OTHER_KIND = _sentence(
    "datain.mapping.other_kind", gettext_noop("kind: the mapping is for %(declared)s, not %(kind)s")
)
M_NOT_A_SOURCE = _sentence(
    "datain.mapping.not_a_source",
    gettext_noop("source: %(source)r is not a source name (letters, digits, - or _)"),
)
M_FORMAT = _sentence("datain.mapping.format", gettext_noop("format: %(format)r must be csv or json"))
M_RECORDS = _sentence(
    "datain.mapping.records",
    gettext_noop("records: must be the name of the list in a JSON object, e.g. results"),
)
M_FIELDS = _sentence(
    "datain.mapping.fields",
    gettext_noop("fields: must map each column of the kind to where its value comes from"),
)
M_NOT_A_COLUMN = _sentence(
    "datain.mapping.not_a_column",
    gettext_noop("%(where)s: not a column of %(kind)s (its columns: %(columns)s)"),
)
M_CROSSWALK_SOURCE = _sentence(
    "datain.mapping.crosswalk_source",
    gettext_noop("%(where)s: crosswalk needs the mapping's source (e.g. source: pendo)"),
)
M_NOT_MAPPED = _sentence(
    "datain.mapping.not_mapped", gettext_noop("fields: %(column)s is required by %(kind)s and is not mapped")
)
M_FIELD_SHAPE = _sentence(
    "datain.mapping.field_shape",
    gettext_noop("%(where)s: must be a column name or a mapping such as {column: NAME}"),
)
M_UNKNOWN_FIELD_KEY = _sentence(
    "datain.mapping.unknown_field_key", gettext_noop("%(where)s.%(key)s: unknown key (expected: %(keys)s)")
)
M_ONE_OF = _sentence(
    "datain.mapping.one_of", gettext_noop("%(where)s: give exactly one of column, constant or today")
)
M_COLUMN = _sentence("datain.mapping.column", gettext_noop("%(where)s.column: must be a column name"))
M_TODAY = _sentence("datain.mapping.today", gettext_noop("%(where)s.today: must be true"))
M_MAP = _sentence(
    "datain.mapping.map",
    gettext_noop("%(where)s.map: must map each source value to one value, e.g. {Green: good}"),
)
M_TRANSFORM = _sentence(
    "datain.mapping.transform",
    gettext_noop("%(where)s.transform: %(transform)r is not one of %(transforms)s"),
)
M_NEEDS_FORMAT = _sentence(
    "datain.mapping.needs_format",
    gettext_noop("%(where)s.format: %(transform)s needs a format such as '%%m/%%d/%%Y'"),
)
M_BAD_FORMAT = _sentence("datain.mapping.bad_format", gettext_noop("%(where)s.format: %(format)r %(why)s"))
M_FORMAT_ONLY = _sentence(
    "datain.mapping.format_only",
    gettext_noop("%(where)s.format: only for transform date_format or datetime_format"),
)
M_MULTIPLY = _sentence("datain.mapping.multiply", gettext_noop("%(where)s.multiply: must be a number"))
M_PLUS_MINUTES = _sentence(
    "datain.mapping.plus_minutes",
    gettext_noop("%(where)s.plus_minutes: must be the name of the column holding the minutes"),
)
M_CROSSWALK = _sentence(
    "datain.mapping.crosswalk", gettext_noop("%(where)s.crosswalk: must be account or owner")
)
F_NOT_A_FORMAT = _sentence(
    "datain.mapping.not_a_date_format",
    gettext_noop("is not a date format (a % must be followed by a directive such as %Y, %m or %d)"),
)
F_TWICE = _sentence(
    "datain.mapping.format_twice",
    gettext_noop("gives the same part of the date twice: each directive (%Y, %m, %d, ...) may appear once"),
)
F_UNKNOWN_DIRECTIVE = _sentence(
    "datain.mapping.unknown_directive",
    gettext_noop("has a directive Python does not know: use those of strptime, such as %Y, %m, %d, %H, %M"),
)
F_NO_READ_BACK = _sentence(
    "datain.mapping.no_read_back", gettext_noop("cannot read back a date it writes: check its directives")
)
