import datetime

import pytest

from accounts.selectors import book_of, owner_on
from tests import factories

D = datetime.date


@pytest.fixture
def history(db):
    """Account X: owned by Ann from 2026-01-01, by Bob from 2026-04-01 (history kept)."""
    ann = factories.CsmFactory(email="ann@example.com")
    bob = factories.CsmFactory(email="bob@example.com")
    account = factories.CustomerAccountFactory(external_id="X", signed_on=D(2026, 1, 1))
    factories.AssignmentFactory(account=account, csm=ann, start_date=D(2026, 1, 1))
    factories.AssignmentFactory(account=account, csm=bob, start_date=D(2026, 4, 1))
    return account, ann, bob


def test_no_owner_before_the_first_assignment(history):
    account, _, _ = history
    assert owner_on(account=account, day=D(2025, 12, 31)) is None


def test_an_assignment_starting_on_a_day_owns_that_day(history):
    account, ann, bob = history
    assert owner_on(account=account, day=D(2026, 1, 1)) == ann
    assert owner_on(account=account, day=D(2026, 3, 31)) == ann
    assert owner_on(account=account, day=D(2026, 4, 1)) == bob
    assert owner_on(account=account, day=D(2030, 1, 1)) == bob


def test_book_of_follows_the_history(history):
    account, ann, bob = history
    assert list(book_of(csm=ann, day=D(2026, 3, 31))) == [account]
    assert list(book_of(csm=bob, day=D(2026, 3, 31))) == []
    assert list(book_of(csm=ann, day=D(2026, 4, 1))) == []
    assert list(book_of(csm=bob, day=D(2026, 4, 1))) == [account]
    assert list(book_of(csm=ann, day=D(2025, 12, 31))) == []


def test_book_of_is_one_query_whatever_the_book_size(history, django_assert_num_queries):
    _, ann, _ = history
    for n in range(5):
        a = factories.CustomerAccountFactory(external_id=f"Y{n}")
        factories.AssignmentFactory(account=a, csm=ann, start_date=D(2026, 1, 1))
    with django_assert_num_queries(1):
        assert len(list(book_of(csm=ann, day=D(2026, 2, 1)))) == 6
