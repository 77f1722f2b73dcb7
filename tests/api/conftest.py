"""Records of every base for the API tests, some carrying restricted and internal fields."""
from __future__ import annotations

import pytest
from django.test import Client

from pop.catalog import service
from pop.catalog.models import Record
from pop.schema import V, registry

# Values planted in non-public fields: none of them may appear in any API answer.
SECRETS = {
    ("palissy", "PM34000002"): {"ADRS2": "12 rue du Secret", "COM2": ["Cachéville"], "EDIF2": "Chapelle privée masquée",
                                "EMPL2": "Salon du propriétaire", "INSEE2": ["34999"]},
    ("mnr", "AEG00001"): {"SALLES": "Exposé salle secrète 1999", "NET": "Présence interne", "CARTELS": "Cartel interne",
                          "RCL": "Récolé interne 2001", "HIST2": "Note restreinte"},
}
EDIT_LOG = [{"nom": "Agent", "prenom": "Secret", "email": "agent.secret@culture.gouv.fr", "date": "2024-01-02 10:00",
             "updateMode": "manuel"}]


def secret_strings() -> list[str]:
    out = ["agent.secret@culture.gouv.fr"]
    for fields in SECRETS.values():
        for value in fields.values():
            out += value if isinstance(value, list) else [value]
    return out


def restricted_codes(base: str) -> set[str]:
    return {f.code for f in registry.get(base).fields if f.visibility is not V.PUBLIC}


@pytest.fixture(scope="session")
def _shared_client():
    return Client()


@pytest.fixture
def client(_shared_client):
    """One test client for the whole session: a new Client loads the middleware chain again
    (WhiteNoise scans every static file), about 0.3 s per test. The API sets no cookies."""
    return _shared_client


@pytest.fixture
def records(db, sample_graph):
    """One record at least in each of the 8 bases (plus the sample graph), secrets included."""
    service.save_many([
        ("palissy", {"REF": "PM34000002", "TICO": "Commode Louis XV", "DENO": ["commode"], "DPT": ["34"], "INSEE": ["34145"],
                     "COM": ["Lunel"], "AUTR": ["Cressent Charles"], **SECRETS[("palissy", "PM34000002")]}),
        ("mnr", {"REF": "AEG00001", "TITR": "Paysage avec rivière", "AUTR": ["Ruisdael Jacob van"], "DOMN": ["peinture"],
                 **SECRETS[("mnr", "AEG00001")]}),
        ("enluminures", {"REF": "D-000001", "TITR": "Livre d'heures", "ATTRIB": "Maître de Bedford"}),
        ("autor", {"REF": "OR00000001", "NOM": "Mansart", "PREN": "François", "TYPID": ["personne"]}),
        ("merimee", {"REF": "PA00078015", "TICO": "Église Notre-Dame", "DENO": ["église"], "DPT": ["34"], "INSEE": ["34145"],
                     "COM": ["Lunel"], "REG": ["Occitanie"]}),
    ], actor="test")
    # Records imported from POP carry its edit log (HISTORIQUE, with staff names and e-mails); the
    # write service never accepts it as input, so it is planted directly to prove nothing shows it.
    for rec in Record.objects.all():
        rec.data = {**rec.data, "HISTORIQUE": EDIT_LOG}
        rec.save(update_fields=["data"])
    for (base, ref), fields in SECRETS.items():  # the secrets really are stored
        stored = Record.objects.get(base=base, ref=ref).data
        assert all(stored.get(code) == value for code, value in fields.items()), stored
    return {(r.base, r.ref) for r in Record.objects.filter(status=Record.PUBLISHED)}


@pytest.fixture
def indexed(records, settings, tmp_path):
    """The records, indexed by the search engine's own sync into a per-test data directory."""
    from pop.search import store
    settings.DATA_DIR = tmp_path
    store.sync()
    return records


@pytest.fixture
def empty_index(db, settings, tmp_path):
    """An index with nothing in it: enough for the engine to validate (and refuse) queries."""
    from pop.search import store
    settings.DATA_DIR = tmp_path
    store.sync()
