"""The OpenAPI schema's shared pieces (`/api/schema/`, drf-spectacular).

One `Problem` body for every error, served as application/problem+json; the
headers the API reads and sends; and the enums and bounds whose values live
elsewhere — problem codes (the Problem classes), tiers and the top-up range
(the programme's data) — read when the schema is generated, so the schema
cannot drift from them. `api_operation` declares an operation with every
status it can answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import DatabaseError
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers

from cafe_loyalty.core.apifields import StrictIntegerField
from cafe_loyalty.core.problems import PROBLEM_CONTENT_TYPE, problem_codes
from members.models import PointsEntry, tiers_by_rank
from members.selectors import tier_english
from payments.api.common import MAX_AMOUNT
from payments.idempotency import HEADER as IDEMPOTENCY_HEADER_NAME
from payments.idempotency import MAX_KEY_LENGTH
from payments.models import ProgrammeSettings, Transfer

# Payment.decline_code: the code of the refusal that declined it, or one of these.
DECLINE_CODES_NOT_PROBLEMS = ("declined_by_member",)

# A line of a member's history: a wallet transfer or a points entry, by kind.
HISTORY_KINDS = ["wallet", "points"]
HISTORY_TYPES = sorted({*Transfer.Kind.values, *PointsEntry.Kind.values})

# --- Fields whose schema is read at generation time ------------------------------


class ProblemCodeField(serializers.CharField):
    """A problem's `code`: one of problem_codes() (schema: ProblemCode)."""


class DeclineCodeField(serializers.CharField):
    """Why a payment was declined or expired (schema: DeclineCode)."""


class TierNameField(serializers.CharField):
    """A tier's name, as the programme defines its tiers (schema: TierName)."""


class TopUpAmountField(StrictIntegerField):
    """A top-up amount (a JSON integer); the schema gives the programme's
    current range (the service refuses others with 422 top_up_amount_invalid)."""


def _named_enum(auto_schema: Any, name: str, values: list[str], description: str) -> dict[str, Any]:
    component = ResolvedComponent(
        name=name,
        type=ResolvedComponent.SCHEMA,
        object=name,
        schema={"type": "string", "enum": values, "description": description},
    )
    auto_schema.registry.register_on_missing(component)
    return component.ref


class ProblemCodeFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "payments.api.schema.ProblemCodeField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return _named_enum(auto_schema, "ProblemCode", problem_codes(), "Stable machine-readable error code.")


class DeclineCodeFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "payments.api.schema.DeclineCodeField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        values = sorted({*problem_codes(), *DECLINE_CODES_NOT_PROBLEMS})
        description = "The refusal's problem code, or declined_by_member; confirmation_expired when it timed out."
        return _named_enum(auto_schema, "DeclineCode", values, description)


def _without_database(read: Callable[[], Any]) -> Any:
    """`read()`, or None where there are no tables yet: `check --deploy`
    generates the schema (drf-spectacular's check), maybe before `migrate`."""
    try:
        return read()
    except DatabaseError:
        return None


class TierNameFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "payments.api.schema.TierNameField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        names = _without_database(lambda: [str(tier_english(tier)) for tier in tiers_by_rank()])
        if not names:  # a programme without tiers (yet): any name
            return {"type": "string"}
        description = "The programme's tiers, entry tier first (managers may add tiers: regenerate clients then)."
        return _named_enum(auto_schema, "TierName", names, description)


class TopUpAmountFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "payments.api.schema.TopUpAmountField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        programme = _without_database(ProgrammeSettings.current)
        schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_AMOUNT}
        if programme is not None:
            schema.update(minimum=programme.min_top_up, maximum=programme.max_top_up)
        schema["description"] = "Minor units, in the programme's top-up range (422 top_up_amount_invalid outside it)."
        return schema


# --- The member session token ------------------------------------------------------


class MemberSessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "allauth.headless.contrib.rest_framework.authentication.XSessionTokenAuthentication"
    name = "memberSessionToken"
    priority = 1  # over drf-spectacular's own, which has no description

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "A member's session token from allauth's app API (`POST /_allauth/app/v1/auth/login`).",
        }


# --- Problem details ------------------------------------------------------------------


@extend_schema_serializer(component_name="Problem")
class ProblemOutput(serializers.Serializer):
    """RFC 9457 problem details: every error the API answers."""

    type = serializers.URLField(help_text="A URI naming the problem (ends with the code).")
    title = serializers.CharField()
    status = serializers.IntegerField(min_value=400, max_value=599)
    detail = serializers.CharField()
    code = ProblemCodeField()
    # A field (the metaclass takes it out of the class), not Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="validation_error: the messages for each field (non_field_errors for the body as a whole).",
    )
    refundable_amount = serializers.IntegerField(required=False, help_text="refund_exceeds_payment: what is left.")
    rule = serializers.ChoiceField(
        choices=["daily_limit", "velocity"], required=False, help_text="limit_exceeded: which rule refused."
    )
    wallet_balance = serializers.IntegerField(required=False, help_text="insufficient_funds: the balance.")
    retry_after = serializers.IntegerField(required=False, help_text="too_many_failures: seconds to wait.")


ERROR_MEANINGS: Mapping[int, str] = {
    400: "validation_error (the fields are in `errors`) or malformed_request",
    401: "not_authenticated: no credentials, or unknown ones",
    402: "insufficient_funds",
    403: "permission_denied: a credential of the other kind (or a refusal named by its code)",
    404: "not found (the code names what)",
    406: "not_acceptable: the API answers application/json (errors application/problem+json) only",
    409: "a conflict with the current state (the code names it); idempotency_key_in_use",
    410: "gone: payment_code_expired or confirmation_expired",
    415: "unsupported_media_type: request bodies are application/json only",
    422: "refused by a business rule (the code names it); idempotency_key_reused",
    423: "account_frozen",
    429: "throttled or too_many_failures: wait Retry-After seconds",
    503: "wallet_payments_paused: try again after Retry-After seconds, or pay another way",
}

# Every operation can answer these: no or wrong credentials, an Accept it
# cannot meet, too many requests.
ALWAYS = (401, 403, 406, 429)

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER_NAME,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per logical request (a random UUID); a retry with the same key and body gets the first answer.",
)


def _response_header(
    name: str, schema: dict[str, Any], statuses: Iterable[int], *, required: bool, description: str
) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        schema,
        OpenApiParameter.HEADER,
        required=required,
        description=description,
        response=sorted(statuses),  # a list: drf-spectacular matches status codes in lists only
    )


def api_operation(
    *,
    summary: str,
    ok: Mapping[int, Any],
    errors: Iterable[int] = (),
    request: Any = None,
    idempotent: bool = False,
    parameters: Iterable[OpenApiParameter] = (),
    description: str | None = None,
) -> Callable[[Any], Any]:
    """extend_schema for one operation: its success bodies (application/json),
    and the Problem body (application/problem+json) for each error status it
    can answer — those given plus ALWAYS, and 400 and 415 for a JSON body —
    with the headers that come with them."""
    statuses = set(errors) | set(ALWAYS)
    if request is not None:
        statuses |= {400, 415}
    responses: dict[Any, Any] = dict(ok)
    for status in sorted(statuses):
        meaning = ERROR_MEANINGS[status]
        if idempotent and status == 400:
            meaning += "; idempotency_key_missing or idempotency_key_invalid"
        responses[status, PROBLEM_CONTENT_TYPE] = OpenApiResponse(ProblemOutput, description=meaning)
    headers = [
        _response_header(
            "WWW-Authenticate", {"type": "string"}, [401], required=True, description="The credentials to send."
        ),
        _response_header(
            "Retry-After", {"type": "integer"}, [429], required=False, description="Seconds to wait before retrying."
        ),
    ]
    if 503 in statuses:
        headers.append(
            _response_header(
                "Retry-After", {"type": "integer"}, [503], required=True, description="Seconds to wait before retrying."
            )
        )
    extra: list[OpenApiParameter] = list(parameters)
    if idempotent:
        extra.insert(0, IDEMPOTENCY_KEY)
        # Answers stored under a key (the view's own, not a refusal at the door) come back as replays.
        replayable = (set(ok) | statuses) - {401, 406, 415, 503}
        headers.append(
            _response_header(
                "Idempotent-Replayed",
                {"type": "string", "enum": ["true"]},
                replayable,
                required=False,
                description="Present on a replay of the answer stored under this Idempotency-Key.",
            )
        )
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses=responses,
        parameters=[*extra, *headers],
    )
