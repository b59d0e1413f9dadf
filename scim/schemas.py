"""What the service publishes: the attributes of a person and of a team that it keeps (RFC 7643),
as scim2-models resources. Requests are read with these models and answers written with them, and
/Schemas publishes them, so what a provider is told is what the service does.

An attribute the product does not keep (phone numbers, addresses, …) is not declared: a provider
that sends one has it ignored (the policy below), as RFC 7644 lets a service do."""

from typing import Annotated, Any

from pydantic import EmailStr, Field
from scim2_models import (
    AnyExtension,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)
from scim2_models.urn import URN

from accounts.models import PERSON_ROLES, Segment

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# The most resources one page of a list holds (ServiceProviderConfig's filter.maxResults).
MAX_RESULTS = 200
# The division a segment is read from, in the words the providers' admins type.
SEGMENT_DIVISIONS = {Segment.SMB: "SMB", Segment.MID_MARKET: "Mid-Market", Segment.ENTERPRISE: "Enterprise"}


class Name(ComplexAttribute):
    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None


class Email(ComplexAttribute):
    value: Annotated[EmailStr | None, Required.true] = None
    type: str | None = Field(default=None, examples=["work"])
    primary: bool | None = None


class RoleValue(ComplexAttribute):
    value: Annotated[str | None, Required.true] = Field(
        default=None, examples=[str(role) for role in PERSON_ROLES]
    )
    primary: bool | None = None


class GroupMembership(ComplexAttribute):
    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None


class User(Resource[AnyExtension]):
    """A person: ``userName`` is how the provider names them, ``emails`` the address they sign in
    with (SSO matches it), ``roles`` their role, ``groups`` their team (read-only: write members
    of the group)."""

    __schema__ = URN(USER_URN)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: Name | None = None
    display_name: str | None = None
    active: bool | None = None
    emails: Annotated[list[Email] | None, Required.true] = None
    roles: list[RoleValue] | None = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


class Manager(ComplexAttribute):
    value: Annotated[str | None, Required.true, CaseExact.true] = None
    ref: Reference["User"] | None = Field(None, serialization_alias="$ref", validation_alias="$ref")


class EnterpriseUser(Extension):
    """The enterprise extension's attributes that place a person: ``department`` names their team,
    ``division`` a CSM's segment, ``manager`` their team's manager."""

    __schema__ = URN(ENTERPRISE_URN)

    division: str | None = Field(default=None, examples=list(SEGMENT_DIVISIONS.values()))
    department: str | None = None
    manager: Manager | None = None


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(default=None, examples=["User"])


class Group(Resource[Any]):
    """A team: its members are its CSMs, and its manager."""

    __schema__ = URN(GROUP_URN)

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None


PersonResource = User[EnterpriseUser]

CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer token",
            description="The token printed by manage.py create_scim_token, sent as "
            "'Authorization: Bearer <token>'.",
            primary=True,
        )
    ],
)

# Microsoft Entra ID's requests depart from the RFC in documented ways: attributes this service
# does not keep are ignored, a PATCH remove may carry the value to remove, and a replace at
# emails[type eq "work"].value creates the work email when there is none.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

PROVIDER = ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[ResourceType.from_resource(PersonResource), ResourceType.from_resource(Group)],
    config=CONFIG,
    policy=POLICY,
)
