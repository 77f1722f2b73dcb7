"""The one error type of the exports: a French message, a machine code and an HTTP status."""
from __future__ import annotations


class ExportError(Exception):
    """Bad export request (unknown format or field, restricted field, empty result, too large…)."""

    def __init__(self, message: str, code: str = "invalid_export", status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.field = field

    def as_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out
