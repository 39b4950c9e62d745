"""``GET /v0/integration/doctor``: the seed's pre-requisites, each with pass/fail and its fix."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cashwrap.api.deps import CurrentPrincipal
from cashwrap.doctor import service
from cashwrap.doctor.schemas import DoctorReport

router = APIRouter(tags=["doctor"])


@router.get(
    "/v0/integration/doctor",
    response_model=DoctorReport,
    summary="Is this tenant ready for an external OMS? (defined by cashwrap)",
)
async def doctor(request: Request, principal: CurrentPrincipal) -> DoctorReport:
    return await service.run(
        request.app.state.database,
        principal.tenant,
        http=getattr(request.app.state, "outbound_http", None),
    )
