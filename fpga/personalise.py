#!/usr/bin/env python3
"""Personalises an FPGA build without place and route: the slot memory
(device id, measurement, identity key) is a block RAM whose initial contents
nothing else in the design depends on, so a device's bitstream is the build's
template bitstream with those contents replaced.

    fpga/personalise.py --template BUILD_DIR [--to-seed TEXT] --out OUT.asc|OUT.config
                        [--packed OUT.bin|OUT.bit] [--expect FULL_BUILD.asc|.config]

BUILD_DIR is a template build of `fpga/build.py` (its report.json, placed
configuration scu.asc or scu.config, and slot-template.hex). The template's
slot memory holds pseudo-random bytes by which the block is found: on iCE40
by icebram, on ECP5 by the block RAM whose init words start with them (one
9-bit word per byte). The device's slot memory (`scu-verilog
--slot-memory-hex`) carries the device id and identity key derived from
TEXT (the simulation's test device without it) and the build's measurement:
the SHA-256 of the template bitstream, which this script checks against the
file before using it, and it checks that nothing but block-RAM contents
changed (the report lists the blocks). `--expect` compares the result with a full build of
the same device (`fpga/build.py --full-device`) and fails unless they are
identical.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class PersonaliseError(Exception):
    pass


def slot_image(seed, lanes, measurement):
    cmd = ["cargo", "run", "--quiet", "--release", "--locked", "-p", "scu-hdl", "--bin", "scu-verilog", "--",
           "--lanes", str(lanes), "--board", "--slot-memory-hex", "--measurement", measurement]
    r = subprocess.run(cmd + (["--seed", seed] if seed is not None else []), cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise PersonaliseError(f"scu-verilog failed: {r.stderr.strip()}")
    return [int(x, 16) for x in r.stdout.split()]


def read_hex(path):
    with open(path) as f:
        return [int(x, 16) for x in f.read().split()]


def write_hex(path, data):
    with open(path, "w") as f:
        f.write("".join(f"{b:02x}\n" for b in data))


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def bram_blocks(lines):
    """(first line index, last line index + 1) of each ECP5 `.bram_init` block's words."""
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


def patch_ecp5(config, template, device, out):
    with open(config) as f:
        lines = f.read().split("\n")
    found = []
    for lo, hi in bram_blocks(lines):
        words = [int(w, 16) for ln in lines[lo:hi] for w in ln.split()]
        if words[: len(template)] == template:
            found.append((lo, hi, words))
    if len(found) != 1:
        raise PersonaliseError(f"the slot-memory template is in {len(found)} block RAMs of {config}, not one")
    lo, hi, words = found[0]
    words[: len(device)] = device
    per_line = len(lines[lo].split())
    lines[lo:hi] = [" ".join(f"{w:03x}" for w in words[k:k + per_line]) for k in range(0, len(words), per_line)]
    with open(out, "w") as f:
        f.write("\n".join(lines))


def patch_ice40(asc, template_hex, device, out):
    device_hex = out + ".slots.hex"
    write_hex(device_hex, device)
    with open(asc) as src, open(out, "w") as dst:
        r = subprocess.run(["icebram", template_hex, device_hex], stdin=src, stdout=dst,
                           stderr=subprocess.PIPE, text=True)
    os.remove(device_hex)
    if r.returncode != 0:
        raise PersonaliseError(f"icebram failed: {r.stderr.strip()}")


def changed_blocks(template_config, device_config):
    """The memory blocks whose init data differ between the two placed
    configurations; raises if anything else differs (personalisation must
    change the slot memory's contents and nothing else)."""
    with open(template_config) as f, open(device_config) as g:
        a, b = f.read().split("\n"), g.read().split("\n")
    if len(a) != len(b):
        raise PersonaliseError("personalisation changed the configuration's length")
    section, changed = None, set()
    for x, y in zip(a, b):
        if x.startswith("."):
            section = x
        if x != y:
            if x.startswith(".") or not section or not section.startswith((".ram_data", ".bram_init")):
                raise PersonaliseError(f"personalisation changed more than memory contents (in {section!r})")
            changed.add(section)
    return sorted(changed)


def patch(template_dir, seed, out, packed=None):
    """Writes device `seed`'s configuration (and with `packed` its bitstream)
    from the template build in `template_dir`; returns what it did."""
    try:
        with open(os.path.join(template_dir, "report.json")) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        raise PersonaliseError(f"{template_dir} has no readable build report: {e}")
    if rep.get("kind") != "template" or not rep.get("measurement"):
        raise PersonaliseError(f"{template_dir} is not a placed template build")
    ice40 = rep["device"].startswith("ice40")
    bitstream = os.path.join(template_dir, "scu.bin" if ice40 else "scu.bit")
    if sha256_file(bitstream) != rep["measurement"]:
        raise PersonaliseError(f"{bitstream} is not the bitstream its report measured")
    template_hex = os.path.join(template_dir, "slot-template.hex")
    device = slot_image(seed, rep["lanes"], rep["measurement"])
    if ice40:
        patch_ice40(os.path.join(template_dir, "scu.asc"), template_hex, device, out)
    else:
        patch_ecp5(os.path.join(template_dir, "scu.config"), read_hex(template_hex), device, out)
    template_config = os.path.join(template_dir, "scu.asc" if ice40 else "scu.config")
    res = {"template": template_dir, "measurement": rep["measurement"], "config": out,
           "blocks_changed": changed_blocks(template_config, out)}
    if packed:
        tool = "icepack" if ice40 else "yowasp-ecppack"
        # yowasp tools see only paths under the working directory.
        r = subprocess.run([tool, os.path.relpath(out), os.path.relpath(packed)], capture_output=True, text=True)
        if r.returncode != 0:
            raise PersonaliseError(f"{tool} failed: {r.stderr.strip()}")
        res["bitstream_sha256"] = sha256_file(packed)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--template", required=True, help="a template build's directory (fpga/build.py --out)")
    ap.add_argument("--to-seed", default=None, help="the device's personalisation seed (default: the simulation's)")
    ap.add_argument("--out", required=True, help="the device's placed configuration")
    ap.add_argument("--packed", help="also pack it into this bitstream")
    ap.add_argument("--expect", help="a full build of the device; fail unless the result is identical")
    a = ap.parse_args()
    try:
        res = patch(a.template, a.to_seed, a.out, a.packed)
    except PersonaliseError as e:
        sys.exit(f"fpga/personalise.py: {e}")
    except FileNotFoundError as e:
        sys.exit(f"fpga/personalise.py: {e.filename} not found (a missing tool: ./scripts/install-tools.sh)")
    if a.expect:
        with open(a.expect) as f, open(a.out) as g:
            res["identical_to_full_build"] = f.read() == g.read()
    print(json.dumps(res, indent=2))
    if a.expect and not res["identical_to_full_build"]:
        sys.exit(f"fpga/personalise.py: the patched configuration differs from {a.expect}")


if __name__ == "__main__":
    main()
