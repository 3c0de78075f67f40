#!/usr/bin/env python3
"""Reads kube-apiserver /metrics snapshots for hack/bench-convergence.sh.

  bench_metrics.py writes BEFORE AFTER N [INDENT]
      the writes the API server served between two snapshots, by verb and
      resource (apiserver_request_total), and per token for N tokens; the
      API server's own Lease renewals are shown apart
  bench_metrics.py count BEFORE AFTER VERB RESOURCE
      how many VERB requests on RESOURCE (e.g. POST events) between them
  bench_metrics.py rates TIME:SNAPSHOT...
      the highest rate, in requests per second over any 5 s between the
      snapshots, of resource requests (watches excluded) and of writes

Prints figures only; exits non-zero only for bad input.
"""
import re
import sys

WRITE_VERBS = {"POST", "PUT", "PATCH", "DELETE", "APPLY", "DELETECOLLECTION"}
LINE = re.compile(r'^apiserver_request_total\{([^}]*)\}\s+([0-9.eE+]+)$')
LABEL = re.compile(r'(\w+)="([^"]*)"')


def load(path):
    """{(verb, resource, subresource): count} from one snapshot."""
    counts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = LINE.match(line.strip())
            if not m:
                continue
            labels = dict(LABEL.findall(m.group(1)))
            key = (labels.get("verb", ""), labels.get("resource", ""),
                   labels.get("subresource", ""))
            counts[key] = counts.get(key, 0) + float(m.group(2))
    return counts


def delta(before, after):
    a, b = load(before), load(after)
    return {k: v - a.get(k, 0) for k, v in b.items() if v - a.get(k, 0) > 0}


def writes(before, after, n, indent="  "):
    d = delta(before, after)
    own_leases = 0
    total = 0
    rows = []
    for (verb, resource, sub), v in sorted(d.items()):
        if verb not in WRITE_VERBS:
            continue
        if resource == "leases":
            own_leases += v
            continue
        name = resource + ("/" + sub if sub else "")
        rows.append((verb, name, v))
        total += v
    for verb, name, v in rows:
        per = f" ({v / n:.2f} per token)" if n > 0 else ""
        print(f"{indent}{verb:6} {name}: {int(v)}{per}")
    per = f" ({total / n:.2f} per token)" if n > 0 else ""
    print(f"{indent}writes in all: {int(total)}{per}")
    if own_leases:
        print(f"{indent}(and {int(own_leases)} Lease renewals by the API server itself)")


def count(before, after, verb, resource):
    d = delta(before, after)
    print(int(sum(v for (vb, r, _), v in d.items() if vb == verb and r == resource)))


def rates(pairs, window=5.0):
    """The highest rates over any span of at least `window` seconds."""
    samples = []
    for pair in pairs:
        t, path = pair.split(":", 1)
        samples.append((float(t), load(path)))
    best_all = best_writes = 0.0
    found = False
    for i, (t0, a) in enumerate(samples):
        for t1, b in samples[i + 1:]:
            if t1 - t0 < window:
                continue
            d = {k: v - a.get(k, 0) for k, v in b.items()}
            reqs = sum(v for (verb, r, _), v in d.items() if r and verb != "WATCH")
            writes = sum(v for (verb, r, _), v in d.items() if r and verb in WRITE_VERBS)
            best_all = max(best_all, reqs / (t1 - t0))
            best_writes = max(best_writes, writes / (t1 - t0))
            found = True
            break
    if not found:
        print(f"not measured (less than {window:.0f} s sampled)")
        return
    print(f"{best_all:.0f} requests/s, {best_writes:.0f} writes/s (highest over {window:.0f} s)")


def main(argv):
    if len(argv) >= 5 and argv[1] == "writes":
        writes(argv[2], argv[3], int(argv[4]), argv[5] if len(argv) > 5 else "  ")
    elif len(argv) >= 4 and argv[1] == "rates":
        rates(argv[2:])
    elif len(argv) == 6 and argv[1] == "count":
        count(argv[2], argv[3], argv[4], argv[5])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
