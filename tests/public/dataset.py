"""A small demo-like catalogue for the public-site tests: every base, linked records, images,
geolocated records, restricted fields holding planted secrets, and values with HTML in them.

    refs = create(with_images=True)   # through the write service; returns {(base, REF), ...}
"""
from __future__ import annotations

from pop.catalog import service

# Values planted in restricted fields: no public page may show them.
SECRETS = {
    ("palissy", "PM59000002"): {"ADRS2": "12 rue du Secret", "COM2": ["Cachéville"], "EDIF2": "Chapelle privée masquée",
                                "EMPL2": "Salon du propriétaire", "INSEE2": ["59999"]},
    ("mnr", "MNR00001"): {"SALLES": "Salle secrète 1999", "NET": "Présence interne", "CARTELS": "Cartel interne",
                          "RCL": "Récolement interne 2001"},
}
CRAFTED = '<script>alert("pop")</script><img src=x onerror=alert(1)>'

MUSEUMS = [
    ("M5031", "Musée des Beaux-Arts de Lyon", "Lyon", "Rhône", "Auvergne-Rhône-Alpes", 45.7670, 4.8340),
    ("M0590", "Palais des Beaux-Arts de Lille", "Lille", "Nord", "Hauts-de-France", 50.6306, 3.0624),
    ("M0623", "Musée des Beaux-Arts d'Arras", "Arras", "Pas-de-Calais", "Hauts-de-France", 50.2910, 2.7775),
]
# Mérimée: (REF, title, DENO, DPT, INSEE, commune, region, Lambert-93 "x;y")
MONUMENTS = [
    ("PA59000001", "Usine textile Motte-Bossut", "usine", "59", "59512", "Roubaix", "Hauts-de-France", "0711000;7066000"),
    ("PA59000002", "Usine de filature Le Blan", "usine", "59", "59350", "Lille", "Hauts-de-France", "0703000;7059000"),
    ("PA62000001", "Usine sucrière d'Arras", "usine", "62", "62041", "Arras", "Hauts-de-France", "0684000;7021000"),
    ("PA34000001", "Usine de Lunel", "usine", "34", "34145", "Lunel", "Occitanie", "0794409;6291409"),
    ("PA59000003", "Château de Robersart", "château", "59", "59650", "Wambrechies", "Hauts-de-France", "0702000;7066500"),
    ("PA62000002", "Église Saint-Vaast", "église", "62", "62041", "Arras", "Hauts-de-France", "0684500;7021500"),
    ("PA34000002", "Château de Castries", "château", "34", "34058", "Castries", "Occitanie", "0779000;6288000"),
]


def _jpeg(seed: int) -> bytes:
    import pyvips
    img = pyvips.Image.xyz(800, 600)
    band = ((img[0] * (seed % 5 + 1) + img[1] * 2) / 4).cast("uchar")
    return band.bandjoin([(img[1] / 3 + seed * 40).cast("uchar"), (img[0] / 4 + 90).cast("uchar")]).jpegsave_buffer(Q=70)


def _store_images(keys: list[str]) -> None:
    from pop.iiif.storage import media_storage
    store = media_storage()
    for i, key in enumerate(keys):
        store.put(key, _jpeg(i))


def create(with_images: bool = True) -> set[tuple[str, str]]:
    images: list[str] = []
    museums = [("museo", {"REF": ref, "NOMOFF": name, "VILLE_M": city, "DPT": dpt, "REGION": region,
                          "POP_COORDONNEES": {"lat": lat, "lon": lon}, "DOMPAL": ["beaux-arts"]})
               for ref, name, city, dpt, region, lat, lon in MUSEUMS]
    monuments = [("merimee", {"REF": ref, "TICO": title, "DENO": [deno], "DPT": [dpt], "INSEE": [insee], "COM": [com],
                              "REG": [reg], "COOR": coor, "ZONE": "Lambert93", "SCLE": ["19e siècle"],
                              "AUTR": ["Dupont Jean (architecte)"] if i % 2 == 0 else [],
                              "HIST": "Édifice construit au 19e siècle."})
                 for i, (ref, title, deno, dpt, insee, com, reg, coor) in enumerate(MONUMENTS)]
    monuments.append(("merimee", {"REF": "PA00000666", "TICO": f"Monument {CRAFTED}", "DENO": ["chapelle"],
                                  "DPT": ["75"], "INSEE": ["75056"], "COM": ["Paris"]}))
    autors = [("autor", {"REF": "OR00000001", "NOM": "Mansart", "PREN": "François", "FONC": ["architecte"],
                         "DATES": "1598-1666", "BIO": "Architecte du roi."}),
              ("autor", {"REF": "OR00000002", "NOM": "Le Nôtre", "PREN": "André", "FONC": ["jardinier"]})]
    service.save_many(museums + monuments + autors, actor="tests", channel="demo")

    objects = [
        ("palissy", {"REF": "PM59000001", "TICO": "Métier à tisser", "DENO": ["métier à tisser"], "REFA": ["PA59000001"],
                     "DPT": ["59"], "INSEE": ["59512"], "COM": ["Roubaix"], "SCLE": ["19e siècle"]}),
        ("palissy", {"REF": "PM59000002", "TICO": "Retable du maître-autel", "DENO": ["retable"], "REFA": ["PA59000003"],
                     "DPT": ["59"], "INSEE": ["59650"], "COM": ["Wambrechies"], **SECRETS[("palissy", "PM59000002")]}),
        ("palissy", {"REF": "PM62000001", "TICO": "Calice en argent", "DENO": ["calice"], "REFA": ["PA62000002"],
                     "DPT": ["62"], "INSEE": ["62041"], "COM": ["Arras"]}),
    ]
    works = []
    for i in range(12):
        museo = MUSEUMS[i % 3][0]
        ref = f"000PE{i:06d}"
        key = f"joconde/{ref}/oeuvre.jpg"
        data = {"REF": ref, "INV": f"INV {i}", "MUSEO": museo, "STAT": ["propriété de la commune"],
                "DOMN": ["peinture" if i % 3 else "sculpture"], "TITR": f"{'Paysage' if i % 2 else 'Portrait'} n° {i}",
                "AUTR": ["Corot Jean-Baptiste Camille" if i % 2 else "Boilly Louis-Léopold"], "PERI": ["19e siècle"],
                "TECH": ["huile sur toile"] if i % 3 else ["marbre"]}
        if i < 8:
            data["IMG"] = [key]
            images.append(key)
        works.append(("joconde", data))
    photos = []
    for i, target in enumerate(["PA59000001", "PA59000001", "PA62000002", "PM59000001"]):
        ref = f"AP59R{i:06d}"
        key = f"memoire/{ref}/vue.jpg"
        images.append(key)
        photos.append(("memoire", {"REF": ref, "LBASE": [target], "IMG": key, "LEG": f"Vue n° {i} de l'édifice",
                                   "AUTP": ["Durand Paul"], "COPY": ["© Ministère de la Culture, diffusion RMN"]}))
    others = [
        ("mnr", {"REF": "MNR00001", "TITR": "Nature morte aux fruits", "AUTR": ["Chardin Jean Siméon"], "DOMN": ["peinture"],
                 **SECRETS[("mnr", "MNR00001")]}),
        ("mnr", {"REF": "MNR00002", "TITR": "Paysage d'hiver", "AUTR": ["Ruisdael Jacob van"], "DOMN": ["peinture"]}),
        ("enluminures", {"REF": "D-000001", "TITR": "Livre d'heures", "SUJET": "Annonciation", "ATTRIB": "Maître de Bedford",
                         "DATE": "15e siècle"}),
        ("enluminures", {"REF": "D-000002", "TITR": "Psautier", "SUJET": "Roi David", "ATTRIB": "Jean Pucelle"}),
    ]
    service.save_many(objects + works + photos + others, actor="tests", channel="demo")
    if with_images:
        _store_images(images)
    from pop.catalog.models import Record
    return {(r.base, r.ref) for r in Record.objects.filter(status=Record.PUBLISHED)}
