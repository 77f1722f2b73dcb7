"""What an export says about itself: the query, the date, the record count, the licence.

Spreadsheets carry it on a second sheet « Informations »; CSV on ``# …`` lines before the header
row; JSON Lines on a first ``{"_export": {...}}`` line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import orjson
from django.conf import settings
from django.utils import timezone

LICENCE = "Licence Ouverte 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
LICENCE_NOTE = (f"Métadonnées publiées sous {LICENCE} ({LICENCE_URL}) ; "
                "les images restent soumises aux droits indiqués sur chaque notice.")


@dataclass
class ExportInfo:
    description: str
    spec: dict
    total: int
    format_label: str
    generated_at: datetime = field(default_factory=timezone.now)
    written: int = 0

    def rows(self, count: int | None = None) -> list[tuple[str, str]]:
        local = timezone.localtime(self.generated_at)
        return [
            ("Requête", self.description),
            ("Date de l'export", local.strftime("%d/%m/%Y %H:%M:%S")),
            ("Nombre de notices", str(self.total if count is None else count)),
            ("Format", self.format_label),
            ("Source", f"POP — plateforme ouverte du patrimoine ({settings.POP_SITE_URL})"),
            ("Licence", LICENCE_NOTE),
            ("Paramètres", orjson.dumps(self.spec).decode()),
        ]

    def as_dict(self, columns: list[dict], count: int | None = None) -> dict:
        return {"requete": self.description, "date": self.generated_at.isoformat(),
                "notices": self.total if count is None else count, "format": self.format_label,
                "source": settings.POP_SITE_URL, "licence": LICENCE, "licence_url": LICENCE_URL,
                "parametres": self.spec, "colonnes": columns}
