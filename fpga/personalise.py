#!/usr/bin/env python3
"""Personalises an ECP5 build without place and route: the slot memory (device
id, identity key) is one block RAM whose initial contents nothing else in the
design depends on, so another device's bitstream is the same configuration with
that block's contents replaced.

    fpga/personalise.py --config BUILD/scu.config --from-seed TEXT --to-seed TEXT
                        --out OUT.config [--bit OUT.bit] [--expect OTHER.config]

The slot memory images come from `scu-verilog --slot-memory-hex`. The block is
found by its full contents (it holds the identity key, so exactly one block
matches); its words are the slot memory's bytes in order, one 9-bit word per
byte. `--expect` compares the result with a full build of the target device and
fails unless they are identical. (iCE40 builds would use icebram the same way;
the UP5K build does not fit yet.)
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fail(msg):
    sys.exit(f"fpga/personalise.py: {msg}")


def slot_image(seed, lanes):
    r = subprocess.run(["cargo", "run", "--quiet", "--release", "--locked", "-p", "scu-hdl", "--bin",
                        "scu-verilog", "--", "--lanes", str(lanes), "--slot-memory-hex", "--seed", seed],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"scu-verilog failed: {r.stderr.strip()}")
    return [int(x, 16) for x in r.stdout.split()]


def blocks(lines):
    """(first line index, last line index + 1) of each `.bram_init` block's words."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith(".bram_init"):
            j = i + 1
            while j < len(lines) and lines[j] and not lines[j].startswith("."):
                j += 1
            out.append((i + 1, j))
            i = j
        else:
            i += 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--from-seed", required=True)
    ap.add_argument("--to-seed", required=True)
    ap.add_argument("--lanes", type=int, default=8)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bit")
    ap.add_argument("--expect")
    a = ap.parse_args()

    src, dst = slot_image(a.from_seed, a.lanes), slot_image(a.to_seed, a.lanes)
    if len(src) != len(dst):
        fail("the two slot memory images differ in size")
    with open(a.config) as f:
        lines = f.read().split("\n")
    found = []
    for lo, hi in blocks(lines):
        words = [int(w, 16) for ln in lines[lo:hi] for w in ln.split()]
        if words[: len(src)] == src:
            found.append((lo, hi, words))
    if len(found) != 1:
        fail(f"the slot memory of {a.from_seed!r} is in {len(found)} block RAMs of {a.config}, not exactly one")
    lo, hi, words = found[0]
    words[: len(dst)] = dst
    per_line = len(lines[lo].split())
    lines[lo:hi] = [" ".join(f"{w:03x}" for w in words[k:k + per_line]) for k in range(0, len(words), per_line)]
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    res = {"from": a.from_seed, "to": a.to_seed, "config": a.out}
    if a.bit:
        r = subprocess.run(["yowasp-ecppack", os.path.relpath(a.out), os.path.relpath(a.bit)], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"ecppack failed: {r.stderr.strip()}")
        with open(a.bit, "rb") as f:
            res["bitstream_sha256"] = hashlib.sha256(f.read()).hexdigest()
    if a.expect:
        with open(a.expect) as f, open(a.out) as g:
            res["identical_to_full_build"] = f.read() == g.read()
    print(json.dumps(res, indent=2))
    if a.expect and not res["identical_to_full_build"]:
        fail(f"the patched configuration differs from {a.expect}")


if __name__ == "__main__":
    main()
