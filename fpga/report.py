#!/usr/bin/env python3
"""Prints the FPGA section of BENCHMARKS.md (markdown): each build's report
(fpga/build.py), the time per operation it implies from the cycle-exact
cycle counts (scu-cycles, scu bench), and the published figures of the
peers, each with its source, side by side.

    fpga/report.py [--builds icebreaker-L1,icebreaker-L8,ulx3s-85f-L8]
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Published figures, with where they come from (a row's figures are all
# from its source; "as cited in issue 7" where we have not read the
# original).
PEERS = [
    ("Microchip ATECC608B", "115 ms", "115 ms", "75 ms", "—",
     "Microchip cryptoauthlib, lib/calib/calib_execution.c, device_execution_time_608_m0: "
     "the maximum wait per command (GENKEY, SIGN, ECDH) at the default clock divider"),
    ("Infineon OPTIGA Trust M", "—", "~65 ms", "~60 ms", "—",
     "Infineon OPTIGA Trust M datasheet, performance figures, as cited in issue 7"),
    ("OpenTitan OTBN (P-256, protected)", "—", "704,126 cycles", "—", "670,089 cycles",
     "OpenTitan hw/ip/otbn/doc/otbn_intro.md, Performance table (OTBN simulator; constant "
     "time, the ladder run 320 times for scalar blinding)"),
    ("Cortex-M4, constant-time software", "—", "—", "—", "~994 k cycles",
     "constant-time P-256 on Cortex-M4, as cited in issue 7"),
    ("Cortex-M4, P256-Cortex-M4 (assembly, constant time)", "327 k cycles", "375 k cycles",
     "906 k cycles", "—",
     "github.com/Emill/P256-Cortex-M4 README, Performance table (nRF52840, GCC -O2; keygen "
     "and sign use the fixed base point's precomputed tables, ECDH is variable-base)"),
]


def cargo(args):
    r = subprocess.run(["cargo", "run", "--quiet", "--release", "--locked"] + args,
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"fpga/report.py: cargo {' '.join(args)} failed:\n{r.stderr}")
    return r.stdout


def cycles():
    """Cycles per operation for L = 1 and 8: engine scalar multiplication
    (scu-cycles) and device busy cycles per command (scu bench)."""
    md = cargo(["-p", "scu-model", "--bin", "scu-cycles", "--", "--markdown"])
    smul = {}
    for m in re.finditer(r"^\| (\d+) \| (\d+) \|", md, re.M):
        smul[int(m.group(1))] = int(m.group(2))
    bench = json.loads(cargo(["-p", "scu-driver", "--bin", "scu", "--", "--json", "bench"]))
    dev = {c["command"]: {1: c["cycles_l1"], 8: c["cycles_l8"]} for c in bench["commands"]}
    out = {}
    for lanes in (1, 8):
        out[lanes] = {
            "scalar mult": smul[lanes],
            "keygen": dev["keygen"][lanes],
            "ECDSA sign": dev["sign"][lanes],
            "ECDH": dev["ecdh"][lanes],
            "attest": dev["attest"][lanes],
        }
    return out


def load(build, file="report.json"):
    p = os.path.join(ROOT, "target", "fpga", build, file)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def late(build, fmax, mhz):
    """Which blocks hold the timing endpoints that miss `mhz` (the build's
    paths.json, from fpga/paths.py), or None without one. Counted only where
    the SDF's worst path is nextpnr's (within 1 %): nextpnr-ecp5 writes SDF
    wire delays below those of its own analysis."""
    pj = load(build, "paths.json")
    if pj is None or not fmax:
        return None
    blocks, worst = pj["by_block"], pj.get("worst_ns")
    if not worst or abs(worst * fmax / 1000.0 - 1) > 0.01:
        return (f"no count of late endpoints: the SDF's worst path is {worst} ns, nextpnr's own "
                f"{1000.0 / fmax:.2f} ns (its SDF wire delays are lower)")
    period = 1000.0 / mhz
    rows = sorted(((sum(1 for d in ds if d > period), max(ds), b) for b, ds in blocks.items()), reverse=True)
    total = sum(n for n, _, _ in rows)
    parts = [f"{b} {n:,} (worst {w:.2f} ns)" for n, w, b in rows if n]
    return f"{total:,} timing endpoints miss {period:.2f} ns" + (": " + ", ".join(parts) if parts else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builds", default="icebreaker-L1,icebreaker-L8,ulx3s-85f-L8")
    a = ap.parse_args()
    cyc = cycles()
    builds = [(b, load(b)) for b in a.builds.split(",")]

    print("Builds by `fpga/build.py` (yosys, nextpnr with a fixed seed, icepack / ecppack);")
    print("`--timing-allow-fail` so that a miss is reported, not hidden. The raw random bits")
    print("come from ring oscillators (`fpga/ro_entropy_*.v`); their entropy has not been")
    print("measured on a board yet. A rebuild reproduces the bitstream hashes below (the")
    print("attestation measurement) with the same tools, listed per build;")
    print("`scripts/install-tools.sh` installs them (Debian 12's packages, the pinned yowasp wheel).")
    print()
    print("| build | logic cells | LUT4 | FF | DSP | block RAM | clock target | Fmax | fits | meets clock | engine LUT4 alone |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
    for name, r in builds:
        if r is None:
            print(f"| {name} | not built | | | | | | | | | |")
            continue
        lc, dsp, bram = r["logic_cells"], r["dsp"], r["bram"]
        fmax = f"{r['fmax_mhz']:.1f} MHz" if r["fmax_mhz"] else "— (not placed)"
        looped = r.get("seeds_router_looped") or []
        if looped and r["fmax_mhz"]:
            fmax += f" (seed {r['seed']}: nextpnr's router looped at seed {', '.join(map(str, looped))})"
        eng = r.get("engine", {}).get("lut4", "—")
        print(f"| {name} ({r['device']}, L={r['lanes']}) | {lc['used']} / {lc['available']} | {r['lut4']} | {r['ff']} "
              f"| {dsp['used']} / {dsp['available']} | {bram['used']} / {bram['available']} "
              f"| {r['clock_target_mhz']:.2f} MHz | {fmax} | {'yes' if r['fits'] else '**no**'} "
              f"| {'yes' if r['meets_clock'] else '**no**'} | {eng} |")
    print()
    for name, r in builds:
        if r and r.get("bitstream_sha256"):
            rep = {True: "; a second build from scratch gave the same hashes",
                   False: "; **a second build gave other hashes**"}
            print(f"- `{name}` (seed {r['seed']}): measurement = template bitstream SHA-256 "
                  f"`{r['measurement']}`; the test device patched from it `{r.get('device_bitstream_sha256')}`"
                  + rep.get(r.get("reproducible"), ""))
            if r.get("tools"):
                print("  (tools: " + "; ".join(f"{k}: {v}" for k, v in r["tools"].items()) + ")")
    for file, text in [
        ("personalisation.json", "ECP5 L=8: the template's slot-memory block RAM replaced by device B's"),
        ("personalisation-ice40.json", "UP5K L=1, `icebram`: the template's slot memory replaced by device B's"),
    ]:
        pj = os.path.join(ROOT, "target", "fpga", file)
        if not os.path.exists(pj):
            continue
        with open(pj) as f:
            try:
                p = json.load(f)
            except json.JSONDecodeError:
                p = {}
        same = p.get("identical_to_full_build")
        print(f"- Personalisation without place and route (`fpga/personalise.py`, {text}, measurement included) is "
              f"{'**identical**' if same else '**not identical**'} to a full build of device B.")
    print()
    print("Time per operation: device busy cycles (cycle-exact model = RTL) at each build's clock.")
    print("A build that does not fit or does not meet its clock shows the time at its target")
    print("clock in *italics*: what it would take, not a result; a build that fits but misses")
    print("its clock also shows the time with the clock lowered to the Fmax nextpnr found.")
    print()
    ops = ["scalar mult", "keygen", "ECDSA sign", "ECDH", "attest"]
    print("| build | clock | " + " | ".join(ops) + " |")
    print("|---|---:|" + "---:|" * len(ops))
    for name, r in builds:
        if r is None:
            continue
        ok = r["fits"] and r["meets_clock"]
        mhz = r["clock_target_mhz"]
        c = cyc[r["lanes"]]
        cells = []
        for op in ops:
            t = c[op] / (mhz * 1e3)
            s = f"{t:.2f} ms ({c[op]:,} cycles)"
            cells.append(s if ok else f"*{s}*")
        print(f"| {name} | {mhz:.2f} MHz | " + " | ".join(cells) + " |")
        if r["fits"] and not r["meets_clock"] and r["fmax_mhz"]:
            f = r["fmax_mhz"]
            at = [f"{c[op] / (f * 1e3):.2f} ms" for op in ops]
            print(f"| {name}, clock lowered to its Fmax | {f:.2f} MHz | " + " | ".join(at) + " |")
    print()
    print("Peers (published figures):")
    print()
    print("| peer | keygen | ECDSA sign | ECDH | scalar mult | source |")
    print("|---|---:|---:|---:|---:|---|")
    for p in PEERS:
        print("| " + " | ".join(p) + " |")
    print()
    print("Targets (issue 7):")
    print()
    t1 = dict(builds).get("icebreaker-L1")
    t8 = dict(builds).get("icebreaker-L8")
    te = dict(builds).get("ulx3s-85f-L8")

    def say(cond, text):
        print(f"- {'met' if cond else '**not met**'}: {text}")

    if t1:
        e = t1.get("engine", {}).get("lut4")
        say(e is not None and e <= 1500, f"UP5K tiny engine at most 1,500 LUT4 (now {e})")
        say(t1["fits"], f"UP5K tiny: the whole SCU fits ({t1['logic_cells']['used']} of {t1['logic_cells']['available']} logic cells)")
        say((t1["fmax_mhz"] or 0) >= 40, f"UP5K tiny: Fmax at least 40 MHz (now {t1['fmax_mhz']})")
        where = late("icebreaker-L1", t1["fmax_mhz"], 40)
        if where:
            print(f"  - {where}")
    if t8:
        say(t8["fits"], f"UP5K fast: the whole SCU fits ({t8['logic_cells']['used']} of {t8['logic_cells']['available']} logic cells)")
    say(cyc[8]["scalar mult"] <= 250_000, f"at most 250 k cycles per scalar multiplication at L = 8 (now {cyc[8]['scalar mult']:,})")
    if te:
        f = te["fmax_mhz"] or 0
        say(f >= 100, f"ECP5 fast: Fmax at least 100 MHz (now {te['fmax_mhz']})")
        where = late("ulx3s-85f-L8", te["fmax_mhz"], 100)
        if where:
            print(f"  - {where}")
        ms = cyc[8]["scalar mult"] / (f * 1e3) if f else None
        say(ms is not None and ms <= 1.0, f"ECP5 fast: at most 1 ms per scalar multiplication (now {ms:.2f} ms at Fmax)" if ms else "ECP5 fast: at most 1 ms per scalar multiplication (not placed)")


if __name__ == "__main__":
    main()
