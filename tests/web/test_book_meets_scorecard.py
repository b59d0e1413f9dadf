"""The home page's book and the scorecard count with the same rules (kpis.book for the pages, the
engine's SQL for the scorecard): for every CSM of the demo organisation, the accounts paying today
are the scorecard's book size and their ARR is its ARR managed, as of the same day."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from kpis.models import KpiValue, SubjectType
from kpis.periods import Period
from web.selectors import csm_book

TODAY = datetime.date(2026, 11, 15)


@pytest.mark.django_db
def test_the_home_book_of_every_demo_csm_meets_its_scorecard():
    call_command("seed_demo", today=TODAY, accounts=120, verbosity=0)
    period = str(Period.containing(TODAY))  # the scorecard's default: the quarter in progress
    stored = {
        (v.csm_id, v.metric): v.value
        for v in KpiValue.objects.filter(
            subject_type=SubjectType.CSM, period=period, metric__in=("book_size", "arr_managed")
        )
    }
    csms = list(User.objects.filter(role=Role.CSM, is_active=True))
    assert len(csms) == 20
    checked = 0
    for csm in csms:
        book = csm_book(csm=csm, today=TODAY)
        assert book.counts.period == Period.parse(period)
        assert Decimal(book.counts.paying) == stored[(csm.pk, "book_size")], csm.email
        assert book.arr_total.quantize(Decimal("0.01")) == stored[(csm.pk, "arr_managed")], csm.email
        checked += book.counts.paying > 0
    assert checked >= 15  # the comparison is not empty: most demo CSMs have paying accounts
