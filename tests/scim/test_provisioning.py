"""SCIM 2.0 provisioning at /scim/v2/, with the requests Okta and Microsoft Entra ID send (their
documented shapes): statuses and SCIM errors, filters, create, replace, patch, deactivation that
ends sessions and API tokens at once, placement (role, team, segment, manager), groups as teams,
and who may use it (the provider's token only, and that token nowhere else)."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import tokens as api_tokens
from accounts.models import ApiToken, Role, Segment, Team, User
from scim.models import ScimToken, ScimUser
from tests import factories

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _key(name: str = "Okta") -> str:
    out = io.StringIO()
    call_command("create_scim_token", name=name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


class Scim:
    """Requests as a provider sends them: JSON bodies, the bearer token."""

    def __init__(self, key: str):
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    def get(self, url, **params):
        return self.client.get(url, params, **self.auth)

    def _send(self, method, url, body):
        return getattr(self.client, method)(
            url, json.dumps(body), content_type="application/scim+json", **self.auth
        )

    def post(self, url, body):
        return self._send("post", url, body)

    def put(self, url, body):
        return self._send("put", url, body)

    def patch(self, url, body):
        return self._send("patch", url, body)

    def delete(self, url):
        return self.client.delete(url, **self.auth)


@pytest.fixture
def scim(db):
    return Scim(_key())


# Okta's "Create User" request (its SCIM 2.0 guide).
OKTA_CREATE = {
    "schemas": [USER],
    "userName": "Ada.Lovelace@Example.com",
    "name": {"givenName": "Ada", "familyName": "Lovelace"},
    "emails": [{"primary": True, "value": "Ada.Lovelace@Example.com", "type": "work"}],
    "displayName": "Ada Lovelace",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}

# Entra ID's create request (its SCIM guide): userName is the UPN, the email is the work one.
ENTRA_CREATE = {
    "schemas": [USER, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
    ENTERPRISE: {"department": "EMEA SMB", "division": "Mid-Market"},
}


def test_a_bad_or_missing_token_answers_401_with_the_scim_error(db):
    _key()
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer csmscim_not-a-token"},
        {"HTTP_AUTHORIZATION": "Basic eDp5"},
    ):
        response = Client().get("/scim/v2/Users", **headers)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/scim+json"
        assert response["WWW-Authenticate"] == 'Bearer realm="SCIM"'
        body = response.json()
        assert body["schemas"] == [ERROR]
        assert body["status"] == "401"


def test_the_token_is_stored_as_a_digest_and_printed_on_the_last_line(db):
    key = _key("Entra ID")
    token = ScimToken.objects.get()
    assert key.startswith("csmscim_")
    assert token.name == "Entra ID"
    assert key not in token.digest and token.digest == api_tokens.digest(key)
    assert token.last_used_at is None
    assert Scim(key).get("/scim/v2/Users").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    token.delete()  # revoked in the admin
    assert Scim(key).get("/scim/v2/Users").status_code == 401


def test_users_and_items_answer_without_a_trailing_slash_or_redirect(scim):
    created = scim.post("/scim/v2/Users", OKTA_CREATE)
    assert created.status_code == 201
    person_id = created.json()["id"]
    for url in (
        "/scim/v2/Users",
        f"/scim/v2/Users/{person_id}",
        "/scim/v2/Groups",
        "/scim/v2/ServiceProviderConfig",
    ):
        response = scim.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/scim+json"


def test_okta_create_gives_201_an_active_person_with_the_email_set(scim):
    response = scim.post("/scim/v2/Users", OKTA_CREATE)
    assert response.status_code == 201
    body = response.json()
    person = User.objects.get(pk=int(body["id"]))
    assert response["Location"] == f"http://testserver/scim/v2/Users/{person.pk}"
    # An active person whose email single sign-on matches; a CSM with the default segment.
    assert (person.email, person.name, person.is_active) == ("ada.lovelace@example.com", "Ada Lovelace", True)
    assert (person.role, person.segment, person.team) == (Role.CSM, Segment.SMB, None)
    assert not person.has_usable_password()  # the password Okta sent is not kept
    assert body["userName"] == "Ada.Lovelace@Example.com"
    assert body["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert body["name"] == {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"}
    assert body["emails"] == [{"value": "ada.lovelace@example.com", "type": "work", "primary": True}]
    assert body["active"] is True
    assert body[ENTERPRISE] == {"division": "SMB"}
    assert "password" not in body


def test_entra_create_reads_the_work_email_department_and_division(scim):
    response = scim.post("/scim/v2/Users", ENTRA_CREATE)
    assert response.status_code == 201
    person = User.objects.get(pk=int(response.json()["id"]))
    assert person.email == "test_user_fd0ea19b@testuser.com"
    assert person.name == "givenName familyName"
    assert (person.role, person.segment, person.team.name) == (Role.CSM, Segment.MID_MARKET, "EMEA SMB")
    assert person.scim.user_name == ENTRA_CREATE["userName"]


def test_a_duplicate_user_name_or_email_answers_409(scim):
    assert scim.post("/scim/v2/Users", OKTA_CREATE).status_code == 201
    same_name = scim.post("/scim/v2/Users", {**OKTA_CREATE, "userName": "ADA.LOVELACE@example.com"})
    assert same_name.status_code == 409
    assert same_name.json()["schemas"] == [ERROR]
    assert same_name.json()["scimType"] == "uniqueness"
    same_email = scim.post("/scim/v2/Users", {**OKTA_CREATE, "userName": "ada"})
    assert same_email.status_code == 409
    assert User.objects.filter(role=Role.CSM).count() == 1


def test_a_person_not_created_by_the_provider_is_found_by_email_and_is_a_duplicate(scim):
    factories.CsmFactory(email="grace@example.com", name="Grace Hopper")
    found = scim.get("/scim/v2/Users", filter='userName eq "Grace@Example.COM"').json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["userName"] == "grace@example.com"
    response = scim.post(
        "/scim/v2/Users",
        {"schemas": [USER], "userName": "grace@example.com", "emails": [{"value": "grace@example.com"}]},
    )
    assert response.status_code == 409


def test_an_unknown_id_answers_404_with_the_scim_error(scim):
    for method in ("get", "delete"):
        response = getattr(scim, method)("/scim/v2/Users/999999")
        assert response.status_code == 404
        assert response.json()["schemas"] == [ERROR]
        assert response.json()["status"] == "404"
    response = scim.put("/scim/v2/Users/nope", OKTA_CREATE)
    assert response.status_code == 404
    assert scim.get("/scim/v2/Groups/999999").status_code == 404
    assert scim.get("/scim/v2/Nowhere").json()["status"] == "404"


def test_bad_bodies_answer_400_and_write_nothing(scim):
    for body in (
        {"schemas": [USER], "emails": [{"value": "x@example.com"}]},  # no userName
        {"schemas": [USER], "userName": "nobody"},  # no email
        {"schemas": [USER], "userName": "x", "emails": [{"value": "not an email"}]},
        {**OKTA_CREATE, "roles": [{"value": "emperor", "primary": True}]},
        {**OKTA_CREATE, ENTERPRISE: {"division": "Galactic"}},
    ):
        response = scim.post("/scim/v2/Users", body)
        assert response.status_code == 400, body
        assert response.json()["schemas"] == [ERROR]
    response = scim.client.post(
        "/scim/v2/Users", "{not json", content_type="application/scim+json", **scim.auth
    )
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidSyntax")
    assert not User.objects.exists()


def test_list_pages_with_total_results_items_per_page_and_start_index(scim):
    for n in range(3):
        scim.post(
            "/scim/v2/Users",
            {"schemas": [USER], "userName": f"p{n}@example.com", "emails": [{"value": f"p{n}@example.com"}]},
        )
    body = scim.get("/scim/v2/Users", startIndex=2, count=1).json()
    assert body["schemas"] == [LIST]
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (3, 1, 2)
    assert [r["userName"] for r in body["Resources"]] == ["p1@example.com"]
    nothing = scim.get("/scim/v2/Users", filter='userName eq "nobody@example.com"').json()
    assert (nothing["totalResults"], nothing["Resources"]) == (0, [])
    bad = scim.get("/scim/v2/Users", filter='userName eq "unclosed')
    assert (bad.status_code, bad.json()["scimType"]) == (400, "invalidFilter")


def test_filter_user_name_eq_is_case_insensitive(scim):
    scim.post("/scim/v2/Users", ENTRA_CREATE)
    body = scim.get("/scim/v2/Users", filter=f'userName eq "{ENTRA_CREATE["userName"].upper()}"').json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["userName"] == ENTRA_CREATE["userName"]
    by_external = scim.get("/scim/v2/Users", filter=f'externalId eq "{ENTRA_CREATE["externalId"]}"').json()
    assert by_external["totalResults"] == 1
    by_email = scim.get(
        "/scim/v2/Users", filter='emails[type eq "work" and value eq "TEST_USER_fd0ea19b@testuser.com"]'
    )
    assert by_email.json()["totalResults"] == 1


def test_put_replaces_the_person(scim):
    person_id = scim.post("/scim/v2/Users", OKTA_CREATE).json()["id"]
    replaced = {
        **OKTA_CREATE,
        "id": person_id,
        "userName": "ada@example.com",
        "name": {"givenName": "Ada", "familyName": "King"},
        "displayName": "Ada King",
        "emails": [{"primary": True, "value": "ada@example.com", "type": "work"}],
        "roles": [{"value": "manager", "primary": True}],
    }
    response = scim.put(f"/scim/v2/Users/{person_id}", replaced)
    assert response.status_code == 200
    person = User.objects.get(pk=person_id)
    assert (person.email, person.name, person.role, person.segment) == (
        "ada@example.com",
        "Ada King",
        Role.MANAGER,
        "",
    )
    assert response.json()["userName"] == "ada@example.com"


def test_put_without_placing_attributes_keeps_the_role_and_team(scim):
    person_id = scim.post("/scim/v2/Users", ENTRA_CREATE).json()["id"]
    User.objects.filter(pk=person_id).update(role=Role.CSM)
    body = {key: value for key, value in ENTRA_CREATE.items() if key not in (ENTERPRISE, "roles")}
    assert scim.put(f"/scim/v2/Users/{person_id}", {**body, "displayName": "Renamed"}).status_code == 200
    person = User.objects.get(pk=person_id)
    assert (person.name, person.team.name, person.segment) == ("Renamed", "EMEA SMB", Segment.MID_MARKET)


def _login(person: User) -> Client:
    person.set_password("correct horse battery")
    person.save()
    browser = Client()
    browser.force_login(person)
    assert browser.get("/").status_code == 200
    return browser


def _deactivation_ends_the_session_and_the_api_token(scim, operations):
    person_id = scim.post("/scim/v2/Users", OKTA_CREATE).json()["id"]
    person = User.objects.get(pk=person_id)
    browser = _login(person)
    _token, key = api_tokens.issue(person=person, name="BI")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/todos/").status_code == 200

    response = scim.patch(f"/scim/v2/Users/{person_id}", {"schemas": [PATCH], "Operations": operations})

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert User.objects.get(pk=person_id).is_active is False
    page = browser.get("/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    assert api.get("/api/v1/todos/").status_code == 401
    assert not ApiToken.objects.filter(person_id=person_id).exists()


def test_okta_patch_replace_active_false_ends_the_session_and_api_tokens_at_once(scim, caplog):
    caplog.set_level("INFO", logger="csm.scim")
    _deactivation_ends_the_session_and_the_api_token(scim, [{"op": "replace", "value": {"active": False}}])
    # Operators have the record: which provider changed what, and who was deactivated.
    messages = [r.getMessage() for r in caplog.records if r.name == "csm.scim"]
    assert "ada.lovelace@example.com deactivated by the identity provider" in messages
    assert any(m.startswith("Okta POST /scim/v2/Users: 201") for m in messages)
    assert any(m.startswith("Okta PATCH /scim/v2/Users/") and ": 200 " in m for m in messages)


def test_entra_patch_capital_replace_active_false_deactivates(scim):
    # Entra sends "Replace" with a path, and the boolean as the string "False" in older versions.
    _deactivation_ends_the_session_and_the_api_token(
        scim, [{"op": "Replace", "path": "active", "value": False}]
    )


def test_entra_pathless_replace_with_dotted_keys(scim):
    person_id = scim.post("/scim/v2/Users", ENTRA_CREATE).json()["id"]
    response = scim.patch(
        f"/scim/v2/Users/{person_id}",
        {
            "schemas": [PATCH],
            "Operations": [
                {
                    "op": "Replace",
                    "value": {
                        "name.givenName": "Grace",
                        "name.familyName": "Hopper",
                        "displayName": "Grace Hopper",
                        f"{ENTERPRISE}:department": "AMER Enterprise",
                        f"{ENTERPRISE}:division": "Enterprise",
                    },
                },
                {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "grace@example.com"},
            ],
        },
    )
    assert response.status_code == 200, response.content
    person = User.objects.get(pk=person_id)
    assert (person.name, person.email) == ("Grace Hopper", "grace@example.com")
    assert (person.team.name, person.segment) == ("AMER Enterprise", Segment.ENTERPRISE)
    assert (person.scim.given_name, person.scim.family_name) == ("Grace", "Hopper")


def test_reactivation_by_patch_lets_them_in_again(scim):
    person_id = scim.post("/scim/v2/Users", {**OKTA_CREATE, "active": False}).json()["id"]
    assert User.objects.get(pk=person_id).is_active is False
    scim.patch(
        f"/scim/v2/Users/{person_id}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "active", "value": True}]},
    )
    assert User.objects.get(pk=person_id).is_active is True


def test_role_team_segment_and_manager_from_roles_and_the_enterprise_extension(scim, org):
    body = {
        **ENTRA_CREATE,
        "roles": [{"value": "csm", "primary": True}],
        ENTERPRISE: {
            "department": "team a",
            "division": "Enterprise",
            "manager": {"value": str(org.manager_b.pk)},
        },
    }
    person = User.objects.get(pk=scim.post("/scim/v2/Users", body).json()["id"])
    org.team_a.refresh_from_db()
    # "team a" is Team A (any letter case); the manager named becomes that team's manager.
    assert (person.team, person.segment, org.team_a.manager) == (
        org.team_a,
        Segment.ENTERPRISE,
        org.manager_b,
    )

    manager = scim.post(
        "/scim/v2/Users",
        {
            "schemas": [USER, ENTERPRISE],
            "userName": "lead@example.com",
            "emails": [{"value": "lead@example.com"}],
            "roles": [{"value": "Manager"}],
            ENTERPRISE: {"department": "New Team"},
        },
    ).json()
    assert manager["roles"] == [{"value": "manager", "primary": True}]
    assert Team.objects.get(name="New Team").manager_id == int(manager["id"])
    hr = scim.post(
        "/scim/v2/Users",
        {
            "schemas": [USER],
            "userName": "hr2@example.com",
            "emails": [{"value": "hr2@example.com"}],
            "roles": [{"value": "HR"}],
        },
    ).json()
    assert User.objects.get(pk=hr["id"]).role == Role.HR


def test_a_manager_who_is_no_person_answers_400(scim):
    body = {**ENTRA_CREATE, ENTERPRISE: {"manager": {"value": "424242"}}}
    response = scim.post("/scim/v2/Users", body)
    assert (response.status_code, response.json()["scimType"]) == (400, "invalidValue")


def test_delete_deactivates_and_hides_the_person_and_a_new_create_brings_them_back(scim):
    person_id = scim.post("/scim/v2/Users", OKTA_CREATE).json()["id"]
    assert scim.delete(f"/scim/v2/Users/{person_id}").status_code == 204
    assert User.objects.get(pk=person_id).is_active is False  # kept, with their reviews
    assert scim.get(f"/scim/v2/Users/{person_id}").status_code == 404
    again = scim.post("/scim/v2/Users", OKTA_CREATE)
    assert again.status_code == 201
    assert again.json()["id"] == person_id
    assert User.objects.get(pk=person_id).is_active is True


def test_groups_are_teams_and_membership_places_people(scim, org):
    ada = scim.post("/scim/v2/Users", OKTA_CREATE).json()
    # Entra's create-group request, then its add-member PATCH.
    group = scim.post(
        "/scim/v2/Groups",
        {
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "APAC Mid-Market",
            "meta": {"resourceType": "Group"},
        },
    )
    assert group.status_code == 201
    group_id = group.json()["id"]
    team = Team.objects.get(pk=group_id)
    assert team.name == "APAC Mid-Market"
    added = scim.patch(
        f"/scim/v2/Groups/{group_id}",
        {
            "schemas": [PATCH],
            "Operations": [
                {
                    "op": "Add",
                    "path": "members",
                    "value": [{"value": ada["id"]}, {"value": str(org.manager_a.pk)}],
                }
            ],
        },
    )
    assert added.status_code == 200, added.content
    team.refresh_from_db()
    assert User.objects.get(pk=ada["id"]).team == team
    assert team.manager == org.manager_a
    assert {m["value"] for m in added.json()["members"]} == {ada["id"], str(org.manager_a.pk)}
    assert scim.get(f"/scim/v2/Users/{ada['id']}").json()["groups"][0]["display"] == "APAC Mid-Market"
    found = scim.get("/scim/v2/Groups", filter='displayName eq "apac mid-market"').json()
    assert found["totalResults"] == 1
    # Entra's remove-member PATCH.
    removed = scim.patch(
        f"/scim/v2/Groups/{group_id}",
        {"schemas": [PATCH], "Operations": [{"op": "Remove", "path": f'members[value eq "{ada["id"]}"]'}]},
    )
    assert removed.status_code == 200
    assert User.objects.get(pk=ada["id"]).team is None
    duplicate = scim.post("/scim/v2/Groups", {"displayName": "Team A"})
    assert duplicate.status_code == 409
    assert scim.delete(f"/scim/v2/Groups/{group_id}").status_code == 204
    assert Team.objects.filter(pk=group_id).exists()  # its objectives and KPI history stay
    assert scim.get(f"/scim/v2/Groups/{group_id}").status_code == 404


def test_discovery_endpoints(scim):
    config = scim.get("/scim/v2/ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim.get("/scim/v2/ResourceTypes").json()
    assert {t["name"]: t["endpoint"] for t in types["Resources"]} == {"User": "/Users", "Group": "/Groups"}
    schemas = scim.get("/scim/v2/Schemas").json()
    assert {s["id"] for s in schemas["Resources"]} == {
        USER,
        ENTERPRISE,
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    }
    user_schema = scim.get(f"/scim/v2/Schemas/{USER}").json()
    roles = next(a for a in user_schema["attributes"] if a["name"] == "roles")
    assert roles["subAttributes"][0]["canonicalValues"] == ["csm", "manager", "hr", "admin", "contributor"]
    assert scim.post("/scim/v2/ServiceProviderConfig", {}).status_code == 405


def test_a_session_cannot_use_scim(org):
    browser = Client()
    browser.force_login(org.admin)
    response = browser.get("/scim/v2/Users")
    assert response.status_code == 401
    assert browser.post("/scim/v2/Users", OKTA_CREATE, content_type="application/json").status_code == 401
    assert not User.objects.filter(email="ada.lovelace@example.com").exists()


def test_a_scim_token_cannot_use_the_rest_of_the_api(db):
    key = _key()
    for header in (f"Bearer {key}", f"Token {key}"):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=header)
        assert api.get("/api/v1/todos/").status_code in (401, 403), header
        assert api.get("/api/v1/kpis/").status_code in (401, 403), header
    page = Client().get("/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert page.status_code == 302  # the pages ask for a sign-in


def test_a_person_created_by_scim_is_active_with_the_email_sso_matches(scim):
    """What single sign-on needs (it matches a verified email, any letter case, to an active person)."""
    scim.post("/scim/v2/Users", OKTA_CREATE)
    person = User.objects.get(email__iexact="ADA.LOVELACE@EXAMPLE.COM")
    assert person.is_active and person.role in (Role.CSM, Role.MANAGER, Role.HR, Role.ADMIN)
    assert ScimUser.objects.get(person=person).user_name == "Ada.Lovelace@Example.com"


def test_entra_manager_as_a_bare_id_and_booleans_as_strings(scim, org):
    person_id = scim.post("/scim/v2/Users", ENTRA_CREATE).json()["id"]
    response = scim.patch(
        f"/scim/v2/Users/{person_id}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "add", "path": f"{ENTERPRISE}:manager", "value": str(org.manager_b.pk)},
                {"op": "Replace", "path": "active", "value": "False"},
            ],
        },
    )
    assert response.status_code == 200, response.content
    person = User.objects.get(pk=person_id)
    assert person.team.manager == org.manager_b
    assert person.is_active is False
    assert response.json()[ENTERPRISE]["manager"]["value"] == str(org.manager_b.pk)


def test_entra_removes_a_member_with_the_value_and_reads_groups_without_members(scim, org):
    group_id = scim.post("/scim/v2/Groups", {"displayName": "Renewals"}).json()["id"]
    add = {"op": "Add", "path": "members", "value": [{"value": str(org.csm_b.pk)}]}
    scim.patch(f"/scim/v2/Groups/{group_id}", {"schemas": [PATCH], "Operations": [add]})
    assert User.objects.get(pk=org.csm_b.pk).team_id == int(group_id)
    listed = scim.get(
        "/scim/v2/Groups", filter='displayName eq "Renewals"', excludedAttributes="members"
    ).json()
    assert listed["Resources"][0]["displayName"] == "Renewals" and "members" not in listed["Resources"][0]
    remove = {"op": "Remove", "path": "members", "value": [{"value": str(org.csm_b.pk)}]}
    assert (
        scim.patch(f"/scim/v2/Groups/{group_id}", {"schemas": [PATCH], "Operations": [remove]}).status_code
        == 200
    )
    assert User.objects.get(pk=org.csm_b.pk).team is None
    # HR and admins added to a group are not kept: they belong to no team.
    hr = {"op": "Add", "path": "members", "value": [{"value": str(org.hr.pk)}]}
    body = scim.patch(f"/scim/v2/Groups/{group_id}", {"schemas": [PATCH], "Operations": [hr]}).json()
    assert body.get("members") is None
    assert User.objects.get(pk=org.hr.pk).team is None


def _queries_to_list(scim, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert scim.get(url).status_code == 200
    return len(queries)


def test_listing_takes_as_many_queries_for_two_people_or_teams_as_for_six(scim, org):
    # org: 7 people in two teams; six more people in three more teams. (A first request records the
    # token's use, once a minute.)
    scim.get("/scim/v2/ServiceProviderConfig")
    few_people, few_teams = (
        _queries_to_list(scim, "/scim/v2/Users"),
        _queries_to_list(scim, "/scim/v2/Groups"),
    )
    for n in range(3):
        team = factories.TeamFactory(name=f"More {n}", manager=factories.ManagerFactory())
        factories.CsmFactory(team=team)
    assert _queries_to_list(scim, "/scim/v2/Users") == few_people
    assert _queries_to_list(scim, "/scim/v2/Groups") == few_teams


def test_an_admin_revokes_a_token_in_the_django_admin(org):
    key = _key("Okta")
    token = ScimToken.objects.get()
    org.admin.is_staff = org.admin.is_superuser = True
    org.admin.save()
    browser = Client()
    browser.force_login(org.admin)
    listing = browser.get("/admin/scim/scimtoken/")
    assert listing.status_code == 200
    assert token.hint in listing.content.decode() and key not in listing.content.decode()
    assert browser.get("/admin/scim/scimtoken/add/").status_code == 403
    confirmed = browser.post(f"/admin/scim/scimtoken/{token.pk}/delete/", {"post": "yes"})
    assert confirmed.status_code == 302
    assert Scim(key).get("/scim/v2/Users").status_code == 401


def test_a_csm_created_without_a_division_gets_the_configured_segment(scim, settings):
    settings.SCIM_DEFAULT_SEGMENT = "enterprise"
    person_id = scim.post("/scim/v2/Users", OKTA_CREATE).json()["id"]
    assert User.objects.get(pk=person_id).segment == Segment.ENTERPRISE


def test_okta_group_push_renames_and_adds_members_with_their_display(scim, org):
    # Okta's group push: create, rename with the id in the value, add members with a display.
    group = scim.post(
        "/scim/v2/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Test SCIMv2",
            "members": [],
        },
    )
    assert group.status_code == 201
    group_id = group.json()["id"]
    renamed = scim.patch(
        f"/scim/v2/Groups/{group_id}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "value": {"id": group_id, "displayName": "Renamed"}}],
        },
    )
    assert renamed.status_code == 200, renamed.content
    added = scim.patch(
        f"/scim/v2/Groups/{group_id}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": str(org.csm_b.pk), "display": "CSM B"}]}
            ],
        },
    )
    assert added.status_code == 200, added.content
    team = Team.objects.get(pk=group_id)
    assert team.name == "Renamed"
    assert list(team.members.all()) == [org.csm_b]


def test_okta_put_with_active_false_deactivates(scim):
    person_id = scim.post("/scim/v2/Users", OKTA_CREATE).json()["id"]
    response = scim.put(f"/scim/v2/Users/{person_id}", {**OKTA_CREATE, "id": person_id, "active": False})
    assert (response.status_code, response.json()["active"]) == (200, False)
    assert User.objects.get(pk=person_id).is_active is False


ODD_PATCHES = [
    ([], "invalidValue"),  # no operation
    ([{"op": "move", "path": "active", "value": True}], "invalidValue"),
    ([{"op": "replace", "path": "userName", "value": "x" * 300}], "invalidValue"),
    ([{"op": "replace", "path": "externalId", "value": "x" * 300}], "invalidValue"),
    ([{"op": "replace", "path": "displayName", "value": "x" * 300}], "invalidValue"),
    ([{"op": "replace", "path": "displayName", "value": "Ada\u202eecalevol"}], "invalidValue"),
    ([{"op": "replace", "path": "userName", "value": "ada\x00"}], "invalidValue"),
    ([{"op": "remove", "path": "emails"}], "mutability"),
    ([{"op": "replace", "path": "roles", "value": "hr"}], "invalidValue"),
]


@pytest.mark.parametrize(("operations", "scim_type"), ODD_PATCHES)
def test_odd_patches_answer_400_and_change_nothing(scim, operations, scim_type):
    person_id = scim.post("/scim/v2/Users", OKTA_CREATE).json()["id"]
    before = scim.get(f"/scim/v2/Users/{person_id}").json()
    response = scim.patch(f"/scim/v2/Users/{person_id}", {"schemas": [PATCH], "Operations": operations})
    assert response.status_code == 400
    assert response.json()["scimType"] == scim_type
    assert scim.get(f"/scim/v2/Users/{person_id}").json() == before


@pytest.mark.parametrize(
    "query",
    [
        {"filter": 'title eq "x"'},
        {"filter": 'active eq "yes"'},
        {"filter": 'meta.created gt "2020"'},
        {"count": "x"},
    ],
)
def test_odd_queries_answer_400(scim, query):
    response = scim.get("/scim/v2/Users", **query)
    assert response.status_code == 400
    assert response.json()["schemas"] == [ERROR]


def test_a_filter_holding_a_nul_character_finds_nobody(scim):
    scim.post("/scim/v2/Users", OKTA_CREATE)
    body = scim.get("/scim/v2/Users", filter='userName eq "ada\\u0000"').json()
    assert body["totalResults"] == 0
