"""Wire models of the event stream configuration and monitoring APIs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cashwrap.core.clock import AwareMoment, Moment
from cashwrap.core.json_values import JsonObject

INTEGRATION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class CallbackParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    callback_url: str = Field(
        max_length=2048, description="http(s) URL receiving one POST per event"
    )
    api_key: str | None = Field(
        default=None,
        max_length=2048,
        description="Sent as 'Authorization: Bearer <api_key>' with every delivery",
    )

    @field_validator("callback_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        return value


class S3Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_region: str | None = None
    bucket: str | None = None
    key_prefix: str | None = None


class IntegrationRequest(BaseModel):
    """``POST /api/v1/org/integrations/eventstream`` (registering also starts it)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=INTEGRATION_ID_PATTERN, description="Chosen by the caller")
    integration_type: Literal["permanent", "temporary"] | None = Field(
        default=None, description="Default: temporary when ends_at is given, else permanent"
    )
    starts_at: AwareMoment | None = None
    ends_at: AwareMoment | None = None
    callback_parameters: CallbackParameters | None = None
    s3_parameters: S3Parameters | None = None
    filter_conditions: JsonObject | None = None
    status: Literal["running", "stopped"] | None = Field(
        default=None, description="Read-only; accepted and ignored so a GET body can be re-sent"
    )


class PublicationQuery(BaseModel):
    from_: Moment | None = None
    to: Moment | None = None
    event_name: str | None = None
    status: (
        Literal["success", "failure", "pending", "delivered", "rejected", "dead_lettered"] | None
    ) = None
    domain_entity_id: str | None = None
    domain_entity_type: str | None = None
    offset: int = 0
    count: int = 50
