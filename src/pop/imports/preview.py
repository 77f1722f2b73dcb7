"""Import preview: what an import would do, record by record, without writing anything.

    parsed = joconde_txt.parse(text)
    report = preview(parsed)
    report.counts            # {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    report.items[0].errors   # [Issue(...)], French messages naming label and code

The records go through ``service.save_many(..., dry_run=True)``: the same validation, computing and
link checks as the real import, against the current database. A record with an error is "rejected";
as the batch is atomic, the real import of a file with a rejected record writes nothing, so
``report.accepted`` is False. Optional ``files``: the names of the files dropped with the data; an
image named by a record (IMG keys) and missing from them is an error, as in POP.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pop.catalog import service
from pop.catalog.validation import ERROR, Issue
from pop.imports.common import ParsedFile

REJECTED = "rejected"
STATUSES = ("created", "updated", "unchanged", "rejected")


@dataclass
class PreviewItem:
    base: str
    ref: str
    line: int | None
    status: str                       # created | updated | unchanged | rejected
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    data: dict = field(default_factory=dict)   # the parsed (raw) values sent to the service

    def as_dict(self) -> dict:
        return {"base": self.base, "ref": self.ref, "line": self.line, "status": self.status,
                "errors": [i.as_dict() for i in self.errors], "warnings": [i.as_dict() for i in self.warnings]}


@dataclass
class PreviewReport:
    name: str
    items: list[PreviewItem]
    notices: list[str]

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for it in self.items:
            out[it.status] = out.get(it.status, 0) + 1
        return out

    @property
    def accepted(self) -> bool:
        return bool(self.items) and all(it.status != REJECTED for it in self.items)

    def as_dict(self) -> dict:
        return {"name": self.name, "counts": self.counts, "accepted": self.accepted, "notices": self.notices,
                "items": [it.as_dict() for it in self.items]}


def _missing_images(base: str, data: dict, files: set[str]) -> list[Issue]:
    issues = []
    for code in ("IMG", "REFIMG"):
        values = data.get(code)
        for key in values if isinstance(values, list) else [values] if values else []:
            name = str(key).rsplit("/", 1)[-1]
            if name and name.lower() not in files:
                issues.append(Issue(ERROR, "IMAGE_MISSING", code, f"Image « {name} » ({code}) absente des fichiers déposés."))
    return issues


def preview(parsed: ParsedFile | list[ParsedFile], *, files: list[str] | None = None, actor=None) -> PreviewReport:
    files_ = parsed if isinstance(parsed, list) else [parsed]
    records: list[tuple[str, dict]] = []
    lines: list[int | None] = []
    notices: list[str] = []
    for pf in files_:
        records += pf.records
        lines += pf.line_numbers or [None] * len(pf.records)
        notices += [f"{pf.name} : {n}" for n in pf.notices]
    results = service.save_many(records, actor=actor, channel="import", dry_run=True) if records else []
    dropped = {f.lower() for f in files} if files is not None else None
    items = []
    for (base, data), line, res in zip(records, lines, results):
        issues = list(res.issues)
        if dropped is not None:
            issues += _missing_images(base, data, dropped)
        errors = [i for i in issues if i.level == ERROR]
        warnings = [i for i in issues if i.level != ERROR]
        status = REJECTED if errors else res.status
        items.append(PreviewItem(res.base, res.ref, line, status, errors, warnings, data))
    name = ", ".join(pf.name for pf in files_)
    return PreviewReport(name, items, notices)
