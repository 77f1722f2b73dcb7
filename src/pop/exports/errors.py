"""The one error type of the exports: a French message, a machine code and an HTTP status."""
from __future__ import annotations

from pop.web.errors import ClientError


class ExportError(ClientError):
    """Bad export request (unknown format or field, restricted field, empty result, too large…)."""

    default_code = "invalid_export"
