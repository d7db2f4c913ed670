"""Test documents made up here, so the tests need no shared corpus: news-like
sentences whose names are in many scripts (accents, Polish, Turkish, Greek,
Cyrillic, CJK), with emoji outside the BMP (one code point, four bytes,
two UTF-16 units), combining accents, curly quotes and dashes the tokenizer
normalizes, no-break spaces, tabs and blank lines inside a document."""

import random

PEOPLE = ["Angela Merkel", "Zoë Müller", "François Hollande", "José Mourinho", "Łukasz Piszczek",
          "Recep Tayyip Erdoğan", "Søren Kierkegaard", "Björn Borg", "Владимир Путин",
          "Nguyễn Phú Trọng", "Chloe\u0301 Dupont", "Ana Ivanović", "Lionel Messi"]
PLACES = ["Paris", "São Paulo", "Zürich", "Łódź", "Kraków", "Reykjavík", "Athens", "Αθήνα",
          "München", "Québec", "東京", "Malmö", "New York"]
ORGS = ["Deutsche Bank", "Volkswagen", "Real Madrid", "Société Générale", "Nestlé",
        "the European Commission", "Škoda Auto", "Galatasaray", "Reuters"]
TEMPLATES = [
    "{p} flew to {l} on Tuesday for talks with {q}.",
    "Shares in {o} rose 3 percent in {l} after {p} spoke \u2014 analysts were surprised.",
    "\u201cIt was a special night,\u201d {p} told reporters in {l}.",
    "{o} said on Friday that {p} would lead its office in {l} \U0001F600 from May.",
    "In {l}, {p} met officials of {o}\u00a0and {q}.",
    "{p}\tvisited {l}; {o} paid.",
    "The {l} court fined {o} 2,5 million euros \u2013 {p} said it would appeal.",
    "{q} and {p} arrived in {l} (\u00e9t\u00e9 2024) \U0001F1EB\U0001F1F7.",
    "Ni {p} ni {o} n'ont commenté la décision prise à {l}.",
]


def documents(n, seed=1):
    rnd = random.Random(seed)
    docs = []
    for _ in range(n):
        sents = []
        for _ in range(rnd.randint(1, 8)):
            t = rnd.choice(TEMPLATES)
            sents.append(t.format(p=rnd.choice(PEOPLE), q=rnd.choice(PEOPLE),
                                  l=rnd.choice(PLACES), o=rnd.choice(ORGS)))
        sep = rnd.choice([" ", " ", "\n", "\n\n"])
        docs.append(sep.join(sents))
    return docs
