"""The kinds of the organisation: people (and teams), accounts (and their owner), assignments."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import (
    PERSON_ROLES,
    AccountTeamMember,
    AccountTeamRole,
    Assignment,
    CustomerAccount,
    Role,
    Segment,
    Team,
    User,
)
from core.said import said
from datain import words as w
from datain.kinds.base import Counts, FactKind, Kind, Row, account_refs, iso_text, user_refs
from datain.validation import (
    Code,
    Column,
    RowError,
    choice,
    parse_date,
    parse_email,
    text,
)


class PeopleKind(Kind):
    """People and teams. Small files: rows are gathered, then checked and written together."""

    name = "people"
    columns = (
        Column("email", parse_email),
        Column("name", text(200)),
        Column("role", choice(PERSON_ROLES)),
        Column("team", text(120), required=False),
        Column("manager_email", parse_email, required=False),
        Column("segment", choice(Segment.values), required=False),
    )
    key_columns = ("email",)

    def __init__(self) -> None:
        self.rows: list[Row] = []

    def check(self, values):
        if values["role"] == Role.CSM and not values["segment"]:
            return [("segment", Code.REQUIRED, said(w.SEGMENT_REQUIRED))]
        if values["role"] != Role.CSM and values["segment"]:
            return [("segment", Code.MUST_BE_EMPTY, said(w.FOR_CSMS_ONLY))]
        if values["role"] != Role.CSM and values["manager_email"]:
            return [("manager_email", Code.MUST_BE_EMPTY, said(w.FOR_CSMS_ONLY))]
        return []

    def apply(self, rows, ctx, write):
        self.rows.extend(rows)
        return Counts()

    def finish(self, ctx, write):
        errors: list[RowError] = []
        teams = {t.name: t for t in Team.objects.select_related("manager")}
        # Managers named by this file win over the database.
        managers: dict[str, tuple[str, int]] = {
            name: (t.manager.email, 0) for name, t in teams.items() if t.manager
        }
        claimed: dict[str, int] = {}
        for row in self.rows:
            v = row.values
            if v["role"] == Role.MANAGER and v["team"]:
                if v["team"] in claimed:
                    errors.append(
                        RowError(
                            row.line,
                            "team",
                            v["team"],
                            Code.TEAM_MANAGER_CONFLICT,
                            said(w.TEAM_HAS_MANAGER, row=claimed[v["team"]]),
                        )
                    )
                    continue
                claimed[v["team"]] = row.line
                managers[v["team"]] = (v["email"], row.line)
        for row in self.rows:
            v = row.values
            if v["manager_email"]:
                expected = managers.get(v["team"] or "")
                if expected is None or expected[0] != v["manager_email"]:
                    who = expected[0] if expected else ""
                    errors.append(
                        RowError(
                            row.line,
                            "manager_email",
                            v["manager_email"],
                            Code.NOT_TEAM_MANAGER,
                            said(w.NOT_TEAM_MANAGER, team=v["team"] or "", manager=who),
                        )
                    )
        counts = Counts()
        if errors:
            return counts, errors
        existing = {u.email: u for u in User.objects.filter(email__in=[r.values["email"] for r in self.rows])}
        for row in self.rows:
            v = row.values
            team = None
            if v["team"]:
                team = teams.get(v["team"])
                if team is None:
                    team = Team(name=v["team"])
                    if write:
                        team.save()
                    teams[v["team"]] = team
            wanted = {
                "name": v["name"],
                "role": v["role"],
                "segment": v["segment"] or "",
                "team_id": team.pk if (team and v["role"] == Role.CSM) else None,
                "is_staff": v["role"] == Role.ADMIN,
            }
            user = existing.get(v["email"])
            if user is None:
                counts.created += 1
                user = User(email=v["email"], **wanted)
                user.set_unusable_password()
                if write:
                    user.save()
            elif any(getattr(user, k) != val for k, val in wanted.items() if k != "team_id") or (
                wanted["team_id"] != user.team_id and v["role"] == Role.CSM
            ):
                counts.updated += 1
                for k, val in wanted.items():
                    setattr(user, k, val)
                if write:
                    user.save()
            else:
                counts.unchanged += 1
            if write and v["role"] == Role.MANAGER and team is not None and team.manager_id != user.pk:
                team.manager = user
                team.save(update_fields=["manager"])
        return counts, errors

    def export_rows(self):
        for user in User.objects.select_related("team", "team__manager").order_by("email"):
            team = user.team.name if user.team else ""
            if user.role == Role.MANAGER:
                managed = user.managed_teams.order_by("name").first()
                team = managed.name if managed else ""
            yield {
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "team": team,
                "manager_email": user.team.manager.email if user.team and user.team.manager else "",
                "segment": user.segment,
            }


class AccountsKind(Kind):
    """Accounts and their current owner. A new account's first assignment starts on ``signed_on``;
    another ``csm_email`` later adds an assignment starting on the load date (history kept)."""

    name = "accounts"
    columns = (
        Column("external_id", text(100)),
        Column("name", text(200)),
        Column("segment", choice(Segment.values)),
        Column("signed_on", parse_date),
        Column("onboarding_completed_on", parse_date, required=False),
        Column("csm_email", parse_email, required=False),
    )
    key_columns = ("external_id",)
    FIELDS = ("name", "segment", "signed_on", "onboarding_completed_on")
    dated_columns = ("signed_on", "onboarding_completed_on")
    lasting = True  # an account's attributes and owner hold from then on

    def check(self, values):
        done = values["onboarding_completed_on"]
        if done is not None and done < values["signed_on"]:
            return [("onboarding_completed_on", Code.BEFORE_SIGNED, said(w.BEFORE_SIGNED))]
        return []

    def resolve(self, rows, ctx):
        return user_refs(rows, ctx, "csm_email", "csm_id", Role.CSM)

    def apply(self, rows, ctx, write):
        counts = Counts()
        today = ctx.today
        existing = {
            a["external_id"]: a
            for a in CustomerAccount.objects.filter(external_id__in=[r.values["external_id"] for r in rows])
            .with_owner_on(today)
            .values("id", "external_id", "owner_id_on", *self.FIELDS)
        }
        upserts, new_owner = [], []
        for row in rows:
            v = row.values
            before = existing.get(v["external_id"])
            csm_id = row.ids.get("csm_id")
            if before is None:
                counts.created += 1
                upserts.append(row)
                if csm_id:
                    new_owner.append((v["external_id"], csm_id, v["signed_on"]))
                continue
            changed = any(before[f] != v[f] for f in self.FIELDS)
            moved = csm_id is not None and before["owner_id_on"] != csm_id
            if changed:
                upserts.append(row)
            if moved:
                new_owner.append((v["external_id"], csm_id, max(today, v["signed_on"])))
            if changed or moved:
                counts.updated += 1
            else:
                counts.unchanged += 1
        if write and upserts:
            CustomerAccount.objects.bulk_create(
                [
                    CustomerAccount(
                        external_id=r.values["external_id"], **{f: r.values[f] for f in self.FIELDS}
                    )
                    for r in upserts
                ],
                update_conflicts=True,
                unique_fields=["external_id"],
                update_fields=list(self.FIELDS),
            )
        if write and new_owner:
            ids = dict(
                CustomerAccount.objects.filter(
                    external_id__in=[e for e, _csm, _day in new_owner]
                ).values_list("external_id", "id")
            )
            Assignment.objects.bulk_create(
                [Assignment(account_id=ids[e], csm_id=c, start_date=d) for e, c, d in new_owner],
                update_conflicts=True,
                unique_fields=["account", "start_date"],
                update_fields=["csm"],
            )
        return counts

    def export_rows(self):
        today = timezone.localdate()
        owners = dict(User.objects.values_list("pk", "email"))
        for account in (
            CustomerAccount.objects.with_owner_on(today).order_by("external_id").iterator(chunk_size=5000)
        ):
            yield {
                "external_id": account.external_id,
                "name": account.name,
                "segment": account.segment,
                "signed_on": account.signed_on.isoformat(),
                "onboarding_completed_on": iso_text(account.onboarding_completed_on),
                "csm_email": owners.get(account.owner_id_on, ""),
            }


class AssignmentsKind(FactKind):
    name = "assignments"
    model = Assignment
    columns = (
        Column("account_external_id", text(100), field="account_id"),
        Column("csm_email", parse_email, field="csm_id"),
        Column("start_date", parse_date),
    )
    key_columns = ("account_external_id", "start_date")
    dated_columns = ("start_date",)
    lasting = True

    def resolve(self, rows, ctx):
        return account_refs(rows, ctx) + user_refs(rows, ctx, "csm_email", "csm_id", Role.CSM)

    def export_queryset(self):
        return Assignment.objects.select_related("account", "csm").order_by(
            "account__external_id", "start_date"
        )


class AccountTeamKind(FactKind):
    """Who else works an account (optional): a person of any role, their role in the account's
    team, from ``start_date`` to ``end_date`` (empty while current). It suggests who gives input on
    a CSM's review; no KPI reads it."""

    name = "account_team"
    model = AccountTeamMember
    columns = (
        Column("account_external_id", text(100), field="account_id"),
        Column("person_email", parse_email, field="person_id"),
        Column("role", choice(AccountTeamRole.values)),
        Column("start_date", parse_date),
        Column("end_date", parse_date, required=False, optional_column=True),
    )
    key_columns = ("account_external_id", "person_email", "role", "start_date")

    def check(self, values):
        end = values["end_date"]
        if end is not None and end < values["start_date"]:
            return [("end_date", Code.BEFORE_START, said(w.BEFORE_START))]
        return []

    def resolve(self, rows, ctx):
        return account_refs(rows, ctx) + user_refs(rows, ctx, "person_email", "person_id", None)

    def export_queryset(self):
        return AccountTeamMember.objects.select_related("account", "person").order_by(
            "account__external_id", "person__email", "role", "start_date"
        )
