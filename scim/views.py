"""The SCIM 2.0 endpoints (RFC 7644) under /scim/v2/: Users, Groups (teams) and the discovery
endpoints. Only an identity provider's bearer token (scim.tokens) opens them: a session or an API
token answers 401. Every error is a SCIM error message (urn:…:Error) with its HTTP status."""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    ResponseParameters,
    SCIMException,
    SearchRequest,
    UnauthorizedException,
)

from scim import filters, people, teams, tokens
from scim.schemas import ENTERPRISE_URN, MAX_RESULTS, PROVIDER, Group, PersonResource

CONTENT_TYPE = "application/scim+json"
# Every change a provider makes (who, what, when): the operators' record of provisioning.
log = logging.getLogger("csm.scim")


def respond(data: dict[str, Any], status: int = 200, location: str | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def error(exc: SCIMException) -> HttpResponse:
    response = respond(exc.to_error().model_dump(scim_ctx=Context.DEFAULT), status=exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return response


def _validation_error(exc: ValidationError) -> HttpResponse:
    found = Error.from_validation_errors(exc)
    first = found[0] if found else Error(status=400, scim_type="invalidValue", detail=str(exc))
    status = int(first.status or 400)
    return respond(first.model_dump(scim_ctx=Context.DEFAULT), status=status)


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("scim:root")).rstrip("/")


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSyntaxException(detail=_("The body is not JSON.")) from exc
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail=_("The body must be a JSON object."))
    return payload


def _manager_as_object(payload: dict[str, Any]) -> dict[str, Any]:
    """Entra ID sends the enterprise manager as the bare id (``"value": "<id>"``), where RFC 7643
    has an object (``{"value": "<id>"}``): read it as the object."""

    def is_manager(path: object) -> bool:
        text = str(path or "").lower()
        return text == "manager" or text.endswith(f"{ENTERPRISE_URN.lower()}:manager")

    for operation in payload.get("Operations") or payload.get("operations") or []:
        if not isinstance(operation, dict):
            continue
        value = operation.get("value")
        if is_manager(operation.get("path")) and isinstance(value, str):
            operation["value"] = {"value": value}
        elif isinstance(value, dict):
            for key, item in list(value.items()):
                if is_manager(key) and isinstance(item, str):
                    value[key] = {"value": item}
    return payload


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """Authenticates the provider's token, then answers with the handler, errors as SCIM errors."""

    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "delete"]  # type: ignore[misc]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token = tokens.authenticate(request.headers.get("Authorization", ""))
        if token is None:
            return error(
                UnauthorizedException(detail=_("Send the provisioning token: Authorization: Bearer <token>."))
            )
        method = (request.method or "").lower()
        handler = getattr(self, method, None) if method in self.http_method_names else None
        if handler is None:
            allowed = ", ".join(m.upper() for m in self.http_method_names if hasattr(self, m))
            response = respond(
                Error(
                    status=405, detail=_("%(method)s is not allowed here.") % {"method": request.method}
                ).model_dump(scim_ctx=Context.DEFAULT),
                status=405,
            )
            response["Allow"] = allowed
            return response
        try:
            with PROVIDER:
                response = handler(request, *args, **kwargs)
        except SCIMException as exc:
            response = error(exc)
        except ValidationError as exc:
            response = _validation_error(exc)
        if method != "get":
            log.info(
                "%s %s %s: %s (token %s)",
                token.name,
                request.method,
                request.path,
                response.status_code,
                token.hint,
            )
        return response


def _response_parameters(request: HttpRequest, model: Any) -> Any:
    params = {key: request.GET.get(key) for key in ("attributes", "excludedAttributes") if key in request.GET}
    return ResponseParameters[model].model_validate(params)


def _page(request: HttpRequest) -> tuple[int, int]:
    try:
        start = int(request.GET.get("startIndex", "1"))
        count = int(request.GET.get("count", str(MAX_RESULTS)))
    except ValueError as exc:
        raise InvalidValueException(detail=_("startIndex and count are whole numbers.")) from exc
    return max(start, 1), min(max(count, 0), MAX_RESULTS)


class _Resources(ScimView):
    """The list and the items of one resource type."""

    model: Any
    kind: str
    fields: dict[str, filters.Field]
    core: str

    def queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def to_resource(self, obj: Any, base: str) -> Any:
        raise NotImplementedError

    def write(self, obj: Any, resource: Any, payload: dict[str, Any], before: Any | None = None) -> Any:
        raise NotImplementedError

    def remove(self, obj: Any) -> None:
        raise NotImplementedError

    def get_object(self, pk: str) -> Any:
        found = self.queryset().filter(pk=int(pk)).first() if pk.isdigit() else None
        if found is None:
            raise NotFoundException(detail=_("Nothing here has the id %(id)s.") % {"id": pk})
        return found

    def dump(self, resource: Any, parameters: Any = None) -> dict[str, Any]:
        return resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters)

    def get(self, request: HttpRequest, pk: str | None = None) -> HttpResponse:
        base = base_url(request)
        if pk is not None:
            resource = self.to_resource(self.get_object(pk), base)
            return respond(self.dump(resource, _response_parameters(request, self.model)))
        params = {
            key: request.GET.get(key)
            for key in ("filter", "attributes", "excludedAttributes")
            if key in request.GET
        }
        search = SearchRequest[self.model].model_validate(params)  # type: ignore[name-defined]
        start, count = _page(request)
        found = self.queryset()
        if search.filter is not None:
            found = found.filter(filters.to_q(search.filter.ast, self.fields, self.core)).distinct()
        total = found.count()
        page = list(found[start - 1 : start - 1 + count]) if count else []
        listed = ListResponse[self.model](  # type: ignore[name-defined]
            total_results=total,
            start_index=start,
            items_per_page=len(page),
            resources=[self.to_resource(obj, base) for obj in page] or None,
        )
        data = listed.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=search)
        data.setdefault("Resources", [])
        return respond(data)

    def post(self, request: HttpRequest, pk: str | None = None) -> HttpResponse:
        if pk is not None:
            raise NotImplementedException(detail=_("POST creates in the list, not on an item."))
        payload = _body(request)
        resource = self.model.model_validate(payload, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        obj = self.write(None, resource, payload)
        base = base_url(request)
        created = self.to_resource(self.get_object(str(obj.pk)), base)
        return respond(
            created.model_dump(scim_ctx=Context.RESOURCE_CREATION_RESPONSE),
            status=201,
            location=people.location(base, self.kind, obj.pk),
        )

    def put(self, request: HttpRequest, pk: str | None = None) -> HttpResponse:
        if pk is None:
            raise NotImplementedException(detail=_("PUT replaces an item: /Users/{id} or /Groups/{id}."))
        obj = self.get_object(pk)
        payload = _body(request)
        base = base_url(request)
        original = self.to_resource(obj, base)
        resource = self.model.model_validate(payload, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        resource.replace(original)
        self.write(obj, resource, payload)
        replaced = self.to_resource(self.get_object(pk), base)
        return respond(replaced.model_dump(scim_ctx=Context.RESOURCE_REPLACEMENT_RESPONSE))

    def patch(self, request: HttpRequest, pk: str | None = None) -> HttpResponse:
        if pk is None:
            raise NotImplementedException(detail=_("PATCH changes an item: /Users/{id} or /Groups/{id}."))
        obj = self.get_object(pk)
        payload = _body(request)
        base = base_url(request)
        operations = PatchOp[self.model].model_validate(  # type: ignore[name-defined]
            _manager_as_object(payload), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        before = self.to_resource(obj, base)
        resource = before.model_copy(deep=True)
        if operations.patch(resource):
            self.write(obj, resource, {}, before=before)
        patched = self.to_resource(self.get_object(pk), base)
        return respond(patched.model_dump(scim_ctx=Context.RESOURCE_PATCH_RESPONSE))

    def delete(self, request: HttpRequest, pk: str | None = None) -> HttpResponse:
        if pk is None:
            raise NotImplementedException(detail=_("DELETE removes an item: /Users/{id} or /Groups/{id}."))
        self.remove(self.get_object(pk))
        return HttpResponse(status=204)


class Users(_Resources):
    model = PersonResource
    kind = "Users"
    fields = filters.USER_FIELDS
    core = filters.USER_CORE

    def queryset(self) -> QuerySet[Any]:
        return people.people()

    def to_resource(self, obj: Any, base: str) -> Any:
        return people.to_resource(obj, base)

    def write(self, obj: Any, resource: Any, payload: dict[str, Any], before: Any | None = None) -> Any:
        given = people.placing_keys(payload) if (obj is not None and before is None) else None
        return people.write(obj, resource, given=given, before=before)

    def remove(self, obj: Any) -> None:
        people.delete(obj)


class Groups(_Resources):
    model = Group
    kind = "Groups"
    fields = filters.GROUP_FIELDS
    core = filters.GROUP_CORE

    def queryset(self) -> QuerySet[Any]:
        return teams.teams()

    def to_resource(self, obj: Any, base: str) -> Any:
        return teams.to_resource(obj, base)

    def write(self, obj: Any, resource: Any, payload: dict[str, Any], before: Any | None = None) -> Any:
        return teams.write(obj, resource)

    def remove(self, obj: Any) -> None:
        teams.delete(obj)


class ServiceProviderConfigView(ScimView):
    http_method_names: ClassVar[list[str]] = ["get", "post", "put", "patch", "delete"]  # type: ignore[misc]

    def get(self, request: HttpRequest) -> HttpResponse:
        config = PROVIDER.config
        assert config is not None
        data = config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        data["meta"] = {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url(request)}/ServiceProviderConfig",
        }
        return respond(data)


class _Listed(ScimView):
    """Schemas and ResourceTypes: read-only lists with their items by id."""

    kind: str

    def items(self) -> list[Any]:
        raise NotImplementedError

    def get(self, request: HttpRequest, pk: str | None = None) -> HttpResponse:
        base = base_url(request)
        found = []
        for item in self.items():
            data = item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
            data["meta"] = {
                "resourceType": self.kind[:-1] if self.kind != "Schemas" else "Schema",
                "location": f"{base}/{self.kind}/{item.id}",
            }
            found.append(data)
        if pk is not None:
            for data in found:
                if data["id"] == pk:
                    return respond(data)
            raise NotFoundException(detail=_("Nothing here has the id %(id)s.") % {"id": pk})
        return respond(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": len(found),
                "itemsPerPage": len(found),
                "startIndex": 1,
                "Resources": found,
            }
        )


class SchemasView(_Listed):
    kind = "Schemas"

    def items(self) -> list[Any]:
        return list(PROVIDER.schemas)


class ResourceTypesView(_Listed):
    kind = "ResourceTypes"

    def items(self) -> list[Any]:
        return list(PROVIDER.resource_types)


class Elsewhere(ScimView):
    """Any other address under /scim/v2/: 404, and POST /.search (searching every resource type
    at once) 501."""

    def get(self, request: HttpRequest, rest: str = "") -> HttpResponse:
        raise NotFoundException(detail=_("There is no SCIM endpoint at this address."))

    def post(self, request: HttpRequest, rest: str = "") -> HttpResponse:
        if rest.strip("/") == ".search":
            raise NotImplementedException(detail=_("Search one resource type: /Users or /Groups."))
        return self.get(request, rest)

    put = patch = delete = get
