"""OKRs: scores worked out by hand, metric-linked key results following runs, status, roll-out,
bad input, permissions for every role, closing a quarter."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpis import services as kpi_services
from kpis.periods import Period
from okrs import selectors, services
from okrs.models import CheckIn, KeyResult, KeyResultValue, Objective
from tests import factories
from tests.demo_snapshot import built_once
from tests.kpis import world

Q3 = "2026-Q3"
D = datetime.date


@pytest.fixture
def w(db, settings):
    settings.TIME_ZONE = "America/New_York"
    # Built by the first test, copied back for the others (tests/demo_snapshot.py).
    return built_once(("tests/okrs/test_okrs.py", "w"), _build_w)


def _build_w():
    w = world.build()
    w["manager_a"] = w["team_a"].manager
    w["manager_b"] = w["team_b"].manager
    w["hr"] = factories.HrFactory(email="hr@example.com")
    w["admin"] = factories.AdminFactory(email="admin@example.com")
    return w


def objective(w, who="ann", **kw):
    return services.objective_create(user=w[who], period=Q3, title="Grow my book", csm=w[who], **kw)


def numeric(w, obj, baseline, target, weight=1, direction="increase", who="ann"):
    return services.key_result_create(
        user=w[who],
        objective=obj,
        title="n",
        kind="numeric",
        baseline=baseline,
        target=target,
        direction=direction,
        weight=weight,
    )


def test_scores_by_hand_for_each_kind_direction_weight_and_clamp(w):
    obj = objective(w)
    up = numeric(w, obj, 10, 20)
    down = numeric(w, obj, 50, 30, weight=3, direction="decrease")
    milestone = services.key_result_create(user=w["ann"], objective=obj, title="QBR deck", kind="milestone")
    services.check_in_create(user=w["ann"], key_result=up, value="15", confidence=7)
    services.check_in_create(user=w["ann"], key_result=down, value="40", confidence=7)
    up.refresh_from_db(), down.refresh_from_db(), milestone.refresh_from_db()
    assert selectors.kr_progress(up) == Decimal("0.50")  # (15 - 10) / (20 - 10)
    assert selectors.kr_progress(down) == Decimal("0.50")  # (40 - 50) / (30 - 50)
    assert selectors.kr_progress(milestone) == 0
    # (1 x 0.5 + 3 x 0.5 + 1 x 0) / 5 = 0.40
    assert selectors.objective_score(obj) == Decimal("0.40")
    services.check_in_create(user=w["ann"], key_result=down, value="25", confidence=9)  # past the target
    services.check_in_create(user=w["ann"], key_result=milestone, done=True, confidence=10)
    services.check_in_create(user=w["ann"], key_result=up, value="5", confidence=2)  # below the baseline
    for kr in (up, down, milestone):
        kr.refresh_from_db()
    assert (
        selectors.kr_progress(down) == 1
        and selectors.kr_progress(up) == 0
        and selectors.kr_progress(milestone) == 1
    )
    assert selectors.objective_score(obj) == Decimal("0.80")  # (0 + 3 + 1) / 5


def test_bands():
    assert [selectors.band(Decimal(x)) for x in ("0.3", "0.34", "0.35", "0.6", "0.65", "0.7", "1")] == [
        "red",
        "red",
        "yellow",
        "yellow",
        "green",
        "green",
        "green",
    ]


def test_metric_linked_key_result_follows_each_published_run(w, django_capture_on_commit_callbacks):
    obj = objective(w, who="bob")
    nrr = services.key_result_create(
        user=w["bob"], objective=obj, title="NRR to 100", kind="metric", metric="nrr", baseline=90, target=100
    )
    frt = services.key_result_create(
        user=w["bob"],
        objective=obj,
        title="Answer faster",
        kind="metric",
        metric="first_response_hours",
        baseline=4,
        target=2,
    )
    assert nrr.current is None and frt.direction == "decrease"
    with django_capture_on_commit_callbacks(execute=True):  # the run publishes, then signals
        run = kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=D(2026, 11, 1))
    nrr.refresh_from_db(), frt.refresh_from_db()
    assert nrr.current == Decimal("94.44") and nrr.current_run == run
    assert selectors.kr_progress(nrr) == Decimal("0.44")  # (94.44 - 90) / 10
    assert frt.current == Decimal("2.00") and selectors.kr_progress(frt) == 1
    with django_capture_on_commit_callbacks(execute=True):
        kpi_services.kpi_run_compute(period=Period.parse(Q3), as_of=D(2026, 11, 1))
    assert KeyResultValue.objects.filter(key_result=nrr).count() == 2


def test_status_and_staleness(w):
    obj = objective(w)
    kr = numeric(w, obj, 0, 100)
    Objective.objects.filter(pk=obj.pk).update(created_at=datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC))
    kr.refresh_from_db()
    # Half-way through the quarter (46 of 92 days), progress 0.5 with confidence 8: on track.
    services.check_in_create(user=w["ann"], key_result=kr, value=50, confidence=8, date=D(2026, 8, 10))
    kr.refresh_from_db()
    status = selectors.kr_status(kr, today=D(2026, 8, 16))
    assert (status.code, status.expected) == ("on_track", Decimal("0.50"))
    # Confidence 5 makes it at risk; progress far behind makes it off track.
    assert selectors.kr_status(kr, today=D(2026, 8, 16)).code == "on_track"
    services.check_in_create(user=w["ann"], key_result=kr, value=50, confidence=5, date=D(2026, 8, 16))
    kr.refresh_from_db()
    assert selectors.kr_status(kr, today=D(2026, 8, 16)).code == "at_risk"
    assert selectors.kr_status(kr, today=D(2026, 9, 30)).code == "off_track"  # 0.5 against 0.99
    # No check-in for more than 14 days: stale, never green.
    services.check_in_create(user=w["ann"], key_result=kr, value=60, confidence=9, date=D(2026, 8, 20))
    kr.refresh_from_db()
    assert selectors.kr_status(kr, today=D(2026, 9, 1)).code == "on_track"
    assert selectors.kr_status(kr, today=D(2026, 9, 5)).code == "stale"


def test_aspirational_objectives_expect_seventy_percent(w):
    obj = objective(w, commitment="aspirational")
    kr = numeric(w, obj, 0, 100)
    services.check_in_create(user=w["ann"], key_result=kr, value=35, confidence=8, date=D(2026, 8, 15))
    kr.refresh_from_db()
    status = selectors.kr_status(kr, today=D(2026, 8, 16))
    assert status.expected == Decimal("0.35") and status.code == "on_track"
    assert obj.expected_score == "0.7"


def test_rollout_creates_one_set_per_csm_and_is_idempotent(w):
    team_obj = services.objective_create(user=w["manager_a"], period=Q3, title="Retain", team=w["team_a"])
    services.key_result_create(
        user=w["manager_a"],
        objective=team_obj,
        title="NRR",
        kind="metric",
        metric="nrr",
        baseline=95,
        target=105,
    )
    services.key_result_create(
        user=w["manager_a"], objective=team_obj, title="QBRs", kind="milestone", weight=2
    )
    assert services.okr_rollout(user=w["manager_a"], source=team_obj) == (2, 0)
    assert services.okr_rollout(user=w["manager_a"], source=team_obj) == (0, 2)
    copies = Objective.objects.filter(rollout_source=team_obj)
    assert sorted(o.csm.email for o in copies) == ["ann@example.com", "bob@example.com"]
    assert all(o.parent == team_obj and o.key_results.count() == 2 for o in copies)
    assert KeyResult.objects.filter(objective__in=copies, owner__isnull=True).count() == 0
    with pytest.raises(PermissionDenied):
        services.okr_rollout(user=w["manager_b"], source=team_obj)


def test_rollout_to_one_segment(w):
    team_obj = services.objective_create(user=w["manager_b"], period=Q3, title="Enterprise", team=w["team_b"])
    assert services.okr_rollout(user=w["manager_b"], source=team_obj, segment="enterprise") == (1, 0)
    assert Objective.objects.get(rollout_source=team_obj).csm == w["cat"]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"baseline": 10, "target": 10}, "target", "The target equals the baseline"),
        ({"baseline": 10, "target": 5}, "target", "For an increase, the target must be above the baseline."),
        ({"baseline": 10, "target": 20, "weight": 0}, "weight", "A weight must be a number above 0"),
        ({"baseline": 10, "target": 20, "weight": -2}, "weight", "A weight must be a number above 0"),
        ({"baseline": 10, "target": 20, "weight": 1000}, "weight", "A weight above 100 makes no sense"),
        ({"baseline": 10, "target": 20, "weight": "heavy"}, "weight", "“heavy” is not a number."),
        ({"baseline": None, "target": 20}, "baseline", "A baseline (start value) is required."),
    ],
)
def test_bad_key_results_are_refused(w, kwargs, field, message):
    obj = objective(w)
    with pytest.raises(ValidationError) as exc:
        services.key_result_create(user=w["ann"], objective=obj, title="x", kind="numeric", **kwargs)
    assert message in exc.value.message_dict[field][0]
    assert KeyResult.objects.count() == 0


def test_metric_key_results_must_name_a_scored_metric(w):
    obj = objective(w)
    for metric, message in (("vibes", "is not a metric key"), ("touchpoints", "tracked, never scored")):
        with pytest.raises(ValidationError) as exc:
            services.key_result_create(
                user=w["ann"], objective=obj, title="x", kind="metric", metric=metric, baseline=1, target=2
            )
        assert message in exc.value.message_dict["metric"][0]


@pytest.mark.parametrize("confidence", [11, -1, "high", "5.5", None])
def test_confidence_outside_0_10_is_refused(w, confidence):
    kr = numeric(w, objective(w), 0, 10)
    with pytest.raises(ValidationError) as exc:
        services.check_in_create(user=w["ann"], key_result=kr, value=5, confidence=confidence)
    assert "Confidence is a whole number from 0" in exc.value.message_dict["confidence"][0]
    assert CheckIn.objects.count() == 0


def test_objective_aligned_to_another_quarters_objective_is_refused(w):
    other = services.objective_create(user=w["manager_a"], period="2026-Q2", title="Old", team=w["team_a"])
    with pytest.raises(ValidationError) as exc:
        objective(w, parent=other)
    assert exc.value.message_dict["parent"] == [
        "An objective of 2026-Q3 cannot be aligned to one of 2026-Q2."
    ]
    with pytest.raises(ValidationError) as exc:
        services.objective_create(user=w["ann"], period="2026-09", title="x", csm=w["ann"])
    assert "OKRs are quarterly" in exc.value.message_dict["period"][0]


EDIT_RIGHTS = {
    # (editor, owner of the objective): allowed
    ("ann", "ann"): True,
    ("bob", "ann"): False,
    ("cat", "ann"): False,
    ("manager_a", "ann"): True,
    ("manager_b", "ann"): False,
    ("hr", "ann"): False,
    ("admin", "ann"): True,
}


@pytest.mark.parametrize(("editor", "owner"), sorted(EDIT_RIGHTS))
def test_who_may_edit(w, editor, owner):
    allowed = EDIT_RIGHTS[(editor, owner)]
    if allowed:
        obj = services.objective_create(user=w[editor], period=Q3, title="t", csm=w[owner])
        kr = numeric(w, obj, 0, 10, who=editor)
        services.check_in_create(user=w[editor], key_result=kr, value=3, confidence=5)
    else:
        with pytest.raises(PermissionDenied):
            services.objective_create(user=w[editor], period=Q3, title="t", csm=w[owner])
        obj = objective(w, who=owner)
        kr = numeric(w, obj, 0, 10, who=owner)
        with pytest.raises(PermissionDenied):
            services.check_in_create(user=w[editor], key_result=kr, value=3, confidence=5)
        with pytest.raises(PermissionDenied):
            numeric(w, obj, 0, 10, who=editor)


def test_visibility_by_role(w):
    ann_obj = objective(w)
    team_obj = services.objective_create(user=w["manager_a"], period=Q3, title="Team", team=w["team_a"])
    cat_obj = objective(w, who="cat")

    def titles(who):
        return sorted(o.pk for o in Objective.objects.visible_to(w[who]))

    assert titles("ann") == sorted([ann_obj.pk, team_obj.pk])
    assert titles("bob") == [team_obj.pk]
    assert titles("cat") == [cat_obj.pk]
    assert titles("manager_a") == sorted([ann_obj.pk, team_obj.pk])
    assert titles("manager_b") == [cat_obj.pk]
    assert titles("hr") == sorted([ann_obj.pk, team_obj.pk, cat_obj.pk])


def test_closing_a_quarter_freezes_scores_and_refuses_changes(w):
    obj = objective(w)
    kr = numeric(w, obj, 0, 10)
    services.check_in_create(user=w["ann"], key_result=kr, value=6, confidence=7)
    with pytest.raises(PermissionDenied):
        services.okr_quarter_close(user=w["manager_a"], period=Q3)
    services.okr_quarter_close(user=w["hr"], period=Q3)
    obj.refresh_from_db()
    assert obj.frozen_score == Decimal("0.60")
    with pytest.raises(ValidationError, match="closed"):
        services.check_in_create(user=w["ann"], key_result=kr, value=9, confidence=9)
    with pytest.raises(ValidationError, match="closed"):
        objective(w)
    with pytest.raises(ValidationError, match="closed"):
        services.okr_quarter_close(user=w["hr"], period=Q3)
    # A final score may differ from the frozen one, with a reason; both are kept.
    with pytest.raises(ValidationError) as exc:
        services.objective_adjust_final(user=w["manager_a"], objective=obj, score="0.8", reason="")
    assert "Say why" in exc.value.message_dict["final_score_reason"][0]
    services.objective_adjust_final(
        user=w["manager_a"], objective=obj, score="0.8", reason="Customer delayed the QBR"
    )
    obj.refresh_from_db()
    assert (obj.frozen_score, obj.final_score) == (Decimal("0.60"), Decimal("0.80"))
    assert selectors.objective_score(obj) == Decimal("0.80")
    # A new run does not move a closed quarter's key results.
    assert (
        services.key_results_update_from_run(run=kpi_services.kpi_run_compute(period=Period.parse(Q3))) == 0
    )
