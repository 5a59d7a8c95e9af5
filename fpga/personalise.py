#!/usr/bin/env python3
"""Personalises a build without place and route: the slot memory (device id,
identity key) is block RAM whose initial contents nothing else in the design
depends on, so another device's bitstream is the same configuration with those
contents replaced.

ECP5 (a device's build into another's):

    fpga/personalise.py --config BUILD/scu.config --from-seed TEXT --to-seed TEXT
                        --out OUT.config [--bit OUT.bit] [--expect OTHER.config]

The block is found by its full contents (it holds the identity key, so exactly
one block matches); its words are the slot memory's bytes in order, one 9-bit
word per byte.

iCE40 (a template build into a device's, with icebram):

    fpga/personalise.py --asc TEMPLATE/scu.asc --template-hex HEX --to-seed TEXT
                        --out OUT.asc [--bin OUT.bin] [--expect OTHER.asc]

The template is built with `fpga/build.py --slot-memory-init HEX`, HEX from
`icebram -g 8 1024`: icebram finds the slot memory's bits by those random
contents (a device's own contents, mostly zeros, are ambiguous to it).

The slot memory images come from `scu-verilog --slot-memory-hex`. `--expect`
compares the result with a full build of the target device and fails unless
they are identical.
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


def finish(res, out, expect):
    """Compares OUT with a full build (EXPECT), prints the result."""
    if expect:
        with open(expect) as f, open(out) as g:
            res["identical_to_full_build"] = f.read() == g.read()
    print(json.dumps(res, indent=2))
    if expect and not res["identical_to_full_build"]:
        fail(f"the patched configuration differs from {expect}")


def pack(tool, cfg, bitfile, res):
    r = subprocess.run([tool, os.path.relpath(cfg), os.path.relpath(bitfile)], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{tool} failed: {r.stderr.strip()}")
    with open(bitfile, "rb") as f:
        res["bitstream_sha256"] = hashlib.sha256(f.read()).hexdigest()


def ice40(a):
    dst = slot_image(a.to_seed, a.lanes)
    hexfile = a.out + ".slots.hex"
    with open(hexfile, "w") as f:
        f.write("".join(f"{b:02x}\n" for b in dst))
    with open(a.asc) as src, open(a.out, "w") as out:
        r = subprocess.run(["icebram", a.template_hex, hexfile], stdin=src, stdout=out,
                           stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        fail(f"icebram failed: {r.stderr.strip()}")
    res = {"from": f"template {a.template_hex}", "to": a.to_seed, "config": a.out}
    if a.bin:
        pack("icepack", a.out, a.bin, res)
    finish(res, a.out, a.expect)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="ECP5: the build to personalise")
    ap.add_argument("--from-seed", help="ECP5: the device that build is")
    ap.add_argument("--asc", help="iCE40: the template build to personalise")
    ap.add_argument("--template-hex", help="iCE40: the template's slot memory contents")
    ap.add_argument("--to-seed", required=True)
    ap.add_argument("--lanes", type=int, default=None, help="the build's lanes (default: 8 ECP5, 1 iCE40)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--bit", help="ECP5: also pack the result")
    ap.add_argument("--bin", help="iCE40: also pack the result")
    ap.add_argument("--expect")
    a = ap.parse_args()
    if a.asc:
        if not a.template_hex:
            fail("--asc needs --template-hex")
        a.lanes = a.lanes or 1
        return ice40(a)
    if not (a.config and a.from_seed):
        fail("give --config and --from-seed (ECP5) or --asc and --template-hex (iCE40)")
    a.lanes = a.lanes or 8

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
        pack("yowasp-ecppack", a.out, a.bit, res)
    finish(res, a.out, a.expect)


if __name__ == "__main__":
    main()
