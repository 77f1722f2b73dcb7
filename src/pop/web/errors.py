"""The shape shared by every client error: a French ``message``, a machine ``code``, an HTTP
``status`` and, when one field is at fault, its ``field``. Search, API and exports subclass it."""
from __future__ import annotations


class ClientError(Exception):
    default_code = "invalid_request"

    def __init__(self, message: str, code: str | None = None, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.status = status
        self.field = field

    def as_dict(self) -> dict:
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out
