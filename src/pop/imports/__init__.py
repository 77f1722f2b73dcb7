"""Import file parsers (POP's production import formats) and the import preview.

One module per format; each ``parse(...)`` returns a ``ParsedFile`` (see ``pop.imports.common``):
records as ``(base, {code: raw value})`` plus file-level notices (ignored columns, remapped codes).
Typing, validation and computing are left to the write service (``pop.imports.preview``).
"""
