# Writes the synthetic training corpus, vectors and Brown clusters that
# make.sh trained model.nerkit from (python3 gen.py, in this folder).
import random

r = random.Random(7)
cities = ["Paris", "Rome", "Berlin", "Madrid", "Lisbon", "Vienna"]
people = ["Anna", "Maria", "Pedro", "Hans", "Ines", "Karl"]
orgs = ["Acme", "Globex", "Initech", "Umbrella"]
verbs = ["saw", "met", "visited", "left", "praised"]
with open("train.conll", "w") as f:
    for s in range(300):
        p, v, c, o = r.choice(people), r.choice(verbs), r.choice(cities), r.choice(orgs)
        if s % 7 == 0:
            f.write("-DOCSTART- O\n\n")
        for t, l in [(p, "B-PER"), (v, "O"), (o, "B-ORG"), ("in", "O"), (c, "B-LOC"), (".", "O")]:
            f.write(f"{t} {l}\n")
        f.write("\n")
words = [w.lower() for w in cities + people + orgs] + ["saw", "met", "in", "."]
with open("vectors.txt", "w") as f:
    f.write(f"{len(words)} 4\n")
    for w in words:
        f.write(w + " " + " ".join(f"{r.uniform(-1, 1):.4f}" for _ in range(4)) + "\n")
with open("brown.txt", "w") as f:
    for i, w in enumerate(words):
        path = format(i % 8, "03b") + ("1" if w in [x.lower() for x in cities] else "0")
        f.write(f"{path}\t{w}\t{10 + i}\n")
