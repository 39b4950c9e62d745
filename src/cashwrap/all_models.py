"""Every domain's tables, imported so that Alembic sees one complete metadata."""

from __future__ import annotations

from cashwrap.catalog import models as _catalog  # noqa: F401
from cashwrap.checkout import models as _checkout  # noqa: F401
from cashwrap.config import models as _config  # noqa: F401
from cashwrap.core.db import Base
from cashwrap.events import models as _events  # noqa: F401
from cashwrap.fulfillment import models as _fulfillment  # noqa: F401
from cashwrap.injection import models as _injection  # noqa: F401
from cashwrap.locations import models as _locations  # noqa: F401
from cashwrap.orders import models as _orders  # noqa: F401
from cashwrap.payments import models as _payments  # noqa: F401
from cashwrap.returns import models as _returns  # noqa: F401
from cashwrap.tenants import models as _tenants  # noqa: F401

metadata = Base.metadata
