"""Who to ask for input on a CSM's review, from the data, each with the reasons.

For the CSM's book in the quarter (every account they owned on at least one day of it):

- the **account team** of those accounts whose time on the account overlaps the quarter (the
  optional ``account_team`` data);
- the accounts' **previous owners**: the CSM who owned each account just before the CSM took it
  (when that handover falls within a year before the quarter's end);
- the CSM's **teammates**: the other active CSMs of their team.

Never suggested: the CSM, the review's reviewer, inactive people, integrations. A person who is
suggested for several reasons is suggested once, with every reason, in the order above.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from babel.lists import format_list
from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import AccountTeamMember, Assignment, Role, User
from core import dates, formatting
from kpis.periods import Period
from reviews.models import InputSource, Review

ONE_DAY = datetime.timedelta(days=1)
# A handover older than this before the quarter's end says little about the quarter reviewed.
PREVIOUS_OWNER_WITHIN = relativedelta(years=1)


@dataclass
class Suggestion:
    person: User
    source: str  # the first reason's InputSource
    reasons: list[str] = field(default_factory=list)


def book_spells(
    csm: User, start: datetime.date, last: datetime.date, names: dict[int, str] | None = None
) -> dict[int, list[tuple]]:
    """Per account the CSM owned on a day from ``start`` to ``last``: every assignment of the account
    as (csm id, from, until or None), in order; ``names`` gets each account's name. One query."""
    accounts = Assignment.objects.filter(csm=csm, start_date__lte=last).values("account_id")
    spells: dict[int, list[tuple]] = defaultdict(list)
    rows = list(
        Assignment.objects.filter(account_id__in=accounts)
        .order_by("account_id", "start_date")
        .values_list("account_id", "csm_id", "start_date", "account__name")
    )
    if names is not None:
        names.update({r[0]: r[3] for r in rows})
    for i, (account_id, csm_id, begins, _name) in enumerate(rows):
        following = rows[i + 1] if i + 1 < len(rows) and rows[i + 1][0] == account_id else None
        until = following[2] - ONE_DAY if following else None
        spells[account_id].append((csm_id, begins, until))
    return {
        account_id: own
        for account_id, own in spells.items()
        if any(c == csm.pk and b <= last and (u is None or u >= start) for c, b, u in own)
    }


# A colleague on many of the book's accounts (a support lead on 15) is named with the first few.
ACCOUNTS_NAMED = 2


def accounts_words(names: list[str]) -> str:
    """The accounts a colleague works on, short: "Acme", "Acme and Globex", "Acme, Globex and
    Initech" (the language's own list, Babel), "Acme, Globex and 13 more accounts"."""
    if len(names) <= ACCOUNTS_NAMED + 1:
        return format_list(names, locale=formatting.locale())
    rest = len(names) - ACCOUNTS_NAMED
    return ngettext(
        "%(first)s, %(second)s and %(n)d more account",
        "%(first)s, %(second)s and %(n)d more accounts",
        rest,
    ) % {"first": names[0], "second": names[1], "n": rest}


def suggestions_for(review: Review) -> list[Suggestion]:
    csm = review.csm
    period = Period.parse(review.cycle.period)
    start, last = period.start, period.end - ONE_DAY
    names: dict[int, str] = {}
    book = book_spells(csm, start, last, names)
    excluded = {csm.pk, review.reviewer_id}
    found: dict[int, Suggestion] = {}
    people: dict[int, User] = {}

    def add(person_id: int, source: str, reason: str) -> None:
        if person_id in excluded:
            return
        if person_id not in found:
            found[person_id] = Suggestion(person=people[person_id], source=source)
        if reason not in found[person_id].reasons:
            found[person_id].reasons.append(reason)

    members = list(
        AccountTeamMember.objects.filter(account_id__in=list(book))
        .during(start, last)
        .filter(person__is_active=True)
        .exclude(person__role=Role.SERVICE)
        .select_related("person", "account")
        .order_by("person__name", "person__email", "account__name", "role")
    )
    roles: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for m in members:
        people[m.person_id] = m.person
        roles[m.person_id][m.get_role_display()].append(m.account.name)
    for person_id, by_role in roles.items():
        for role, accounts in by_role.items():
            add(
                person_id,
                InputSource.ACCOUNT_TEAM,
                _("%(role)s on %(accounts)s") % {"role": role, "accounts": accounts_words(accounts)},
            )

    handovers: list[tuple[int, int, datetime.date]] = []  # (previous owner, account, day handed over)
    for account_id, spells in book.items():
        for before, after in itertools.pairwise(spells):
            handed = after[1]
            if after[0] == csm.pk and before[0] != csm.pk and last - PREVIOUS_OWNER_WITHIN < handed <= last:
                handovers.append((before[0], account_id, handed))
    if handovers:
        owners = User.objects.filter(pk__in={h[0] for h in handovers}, is_active=True).exclude(
            role=Role.SERVICE
        )
        people.update({u.pk: u for u in owners})
        for owner_id, account_id, day in sorted(handovers, key=lambda h: (names[h[1]], h[2])):
            if owner_id in people:
                add(
                    owner_id,
                    InputSource.PREVIOUS_OWNER,
                    _("Owned %(account)s until %(day)s")
                    % {"account": names[account_id], "day": dates.day(day - ONE_DAY)},
                )

    if csm.team_id:
        mates = (
            User.objects.filter(team_id=csm.team_id, role=Role.CSM, is_active=True)
            .exclude(pk=csm.pk)
            .select_related("team")
            .order_by("name", "email")
        )
        for mate in mates:
            people[mate.pk] = mate
            add(mate.pk, InputSource.TEAMMATE, _("Teammate in %(team)s") % {"team": mate.team.name})

    order = {InputSource.ACCOUNT_TEAM: 0, InputSource.PREVIOUS_OWNER: 1, InputSource.TEAMMATE: 2}
    return sorted(found.values(), key=lambda s: (order[InputSource(s.source)], s.person.name, s.person.email))
