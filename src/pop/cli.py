"""The `pop` console command: Django's management commands under one name.

    pop --help            lists the commands (pop's own first)
    pop migrate | demo | serve | schema | index … | images … | export … | dumps
"""
from __future__ import annotations

import os
import sys

POP_COMMANDS_HELP = """Commandes de la plateforme POP :
  pop serve [--host 127.0.0.1] [--port 8000] [--workers N]   serveur de production (gunicorn)
  pop migrate                                              crée ou met à jour la base de données
  pop demo --records N [--seed S] [--images K]             génère des données de démonstration
  pop schema [BASE] [--markdown]                           dictionnaire des données (registre)
  pop index sync|rebuild|check                             index de recherche
  pop images build|add                                     images et dérivés IIIF
  pop export / pop dumps                                   exports et jeux open data
"""


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pop.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "pop"
    if len(argv) == 1 or argv[1] in ("-h", "--help", "help") and len(argv) == 2:
        print(POP_COMMANDS_HELP)
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
