# Scores a `reunite link` output against the generator's truth.jsonl and duplicates.jsonl.
# Usage: python3 eval_jsonl.py DIR OUT.jsonl [THRESHOLD]
import json, sys
d = sys.argv[1]
truth = {}
for l in open(f"{d}/truth.jsonl"):
    t = json.loads(l); truth[t["request"]] = t["case"]
# duplicates share the mother; the generator's duplicate ids start with c-d, they are not in truth
import os
same = {}
if os.path.exists(f"{d}/duplicates.jsonl"):
    for l in open(f"{d}/duplicates.jsonl"):
        t = json.loads(l); same.setdefault(t["case"], set()).add(t["duplicate"]); same.setdefault(t["duplicate"], set()).add(t["case"])
def ok(c, x): return x == c or x in same.get(c, ())
best = {}; lists = {}
for l in open(sys.argv[2]):
    m = json.loads(l)
    lists.setdefault(m["request"], []).append(m)
thr = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
tp = fp = 0; reg = sum(1 for v in truth.values() if v); unreg = len(truth) - reg; unreg_hit = 0; at5 = 0
for r, c in truth.items():
    L = lists.get(r, [])
    top = L[0] if L and L[0]["probability"] >= thr else None
    if c is None:
        if top: unreg_hit += 1
    else:
        if any(ok(c, m["case"]) for m in L[:5]): at5 += 1
    if top:
        if c is not None and ok(c, top["case"]): tp += 1
        else: fp += 1
p = tp / max(tp + fp, 1); rc = tp / max(reg, 1)
print(f"precision {p:.4f} recall {rc:.4f} F1 {2*p*rc/max(p+rc,1e-12):.4f} recall@5(listed, p>={thr}) {at5/max(reg,1):.4f} false-candidate share {unreg_hit/max(unreg,1):.4f}")
