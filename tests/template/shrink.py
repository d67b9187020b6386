#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Shrinks a differential-test case on which vaultlet and Go disagree.

usage: shrink.py DIFFDRV CASES.jsonl ID

Takes case ID from CASES.jsonl (as printed in a MISMATCH report), then
repeatedly removes pieces of its template (whole actions, then text, then
single characters) and keeps every removal after which vaultlet and Go still
disagree. Prints the smallest disagreeing template found and the full
reproducer for it. Uses run-oracle.sh (Go) and DIFFDRV (vaultlet).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
drv, cases_path, want_id = sys.argv[1], sys.argv[2], sys.argv[3]
case = None
with open(cases_path) as f:
    for line in f:
        c = json.loads(line)
        if c["id"] == want_id:
            case = c
            break
if case is None:
    sys.exit("no case %s in %s" % (want_id, cases_path))
tmp = tempfile.mkdtemp()


def signature(out):
    """The kind of disagreement: Go's and vaultlet's outcome words."""
    go = re.search(r"^#   go: (\S+)", out, re.M)
    vl = re.search(r"^#   vaultlet: (\S+)", out, re.M)
    return (go.group(1) if go else "", vl.group(1) if vl else "")


first_signature = None


def disagrees(template, show=False):
    c = dict(case, template=template)
    cp, rp = os.path.join(tmp, "c.jsonl"), os.path.join(tmp, "r.jsonl")
    with open(cp, "w") as f:
        f.write(json.dumps(c) + "\n")
    with open(cp) as fi, open(rp, "w") as fo:
        subprocess.run([os.path.join(here, "run-oracle.sh")], stdin=fi, stdout=fo, check=True)
    p = subprocess.run([drv, cp, rp, "1"], capture_output=True, text=True)
    if show:
        print(p.stdout)
    if p.returncode == 0:
        return False
    # keep shrinking the same disagreement, not another one found on the way
    return first_signature is None or signature(p.stdout) == first_signature


if not disagrees(case["template"]):
    sys.exit("case %s does not disagree" % want_id)
_p = subprocess.run([drv, os.path.join(tmp, "c.jsonl"), os.path.join(tmp, "r.jsonl"), "1"],
                    capture_output=True, text=True)
first_signature = signature(_p.stdout)
t = case["template"]
left = case["left"] or "{{"
right = case["right"] or "}}"
pattern = re.compile(re.escape(left) + ".*?" + re.escape(right), re.S)
changed = True
while changed:
    changed = False
    pieces = []
    pos = 0
    for m in pattern.finditer(t):
        if m.start() > pos:
            pieces.append(t[pos:m.start()])
        pieces.append(m.group(0))
        pos = m.end()
    if pos < len(t):
        pieces.append(t[pos:])
    for i in range(len(pieces)):
        cand = "".join(pieces[:i] + pieces[i + 1:])
        if cand != t and disagrees(cand):
            t = cand
            changed = True
            break
    if changed:
        continue
    for i in range(len(t)):
        cand = t[:i] + t[i + 1:]
        if disagrees(cand):
            t = cand
            changed = True
            break
print("smallest disagreeing template (%d bytes): %s" % (len(t), json.dumps(t)))
disagrees(t, show=True)
