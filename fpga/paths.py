#!/usr/bin/env python3
"""Where a build's clock period goes: static timing over the SDF that nextpnr
writes after routing (cell and wire delays), giving every timing endpoint's
worst arrival (clock-to-out, logic and routing, plus setup), not only the one
critical path nextpnr prints.

    python3 fpga/paths.py DIR/scu.sdf [--mhz 40] [--top 40]

lists the endpoints that miss the clock, by the register or memory they end
in and by where their worst path starts. build.py keeps each build's
endpoint delays by block in DIR/paths.json, and the report counts them
against the issue's clock targets.

The ring oscillators are combinational loops by design; paths through them
are not timed (as nextpnr's --ignore-loops)."""
import argparse
import re
import sys
from collections import defaultdict

# Blocks of the design, by the instance below scu.device; the rest of
# scu.device is the device controller and its memories.
BLOCKS = {"sha": "SHA-256", "engine": "engine", "health": "RNG health tests", "spi": "SPI"}
LOOPS = "oscillators"

_INSTANCE = re.compile(r"\(INSTANCE (.*)\)")
_IOPATH = re.compile(r"\(IOPATH (\S+) (\S+) \((\d+):")
_SETUP = re.compile(r"\(SETUPHOLD \((?:pos|neg)edge (\S+)\) \(posedge (\S+)\) \((\d+):")
_WIRE = re.compile(r"\(INTERCONNECT (\S+) (\S+) \((\d+):")
_TIMESCALE = re.compile(r"\(TIMESCALE (\d+)(ps|ns)\)")


class Timing:
    """The SDF's delays: pins are (cell, pin); delays in picoseconds (max)."""

    def __init__(self):
        self.launch = {}  # clocked output -> clock-to-out
        self.setup = {}  # clocked input -> setup time
        self.fanin = defaultdict(list)  # pin -> [(driving pin, delay)]


def _pin(text):
    cell, pin = text.replace("\\", "").rsplit("/", 1)
    return cell, pin


def read_sdf(lines):
    """Parses nextpnr's SDF (one statement a line, as it writes them)."""
    t = Timing()
    arcs = []  # (cell, in, out, delay): a clock's arcs are only known at the end
    clocks = defaultdict(set)
    cell, scale = None, 1
    for line in lines:
        line = line.strip()
        if line.startswith("(TIMESCALE"):
            n, unit = _TIMESCALE.match(line).groups()
            scale = int(n) * (1000 if unit == "ns" else 1)
        elif line.startswith("(INSTANCE"):
            cell = _INSTANCE.match(line).group(1).replace("\\", "")
        elif line.startswith("(IOPATH"):
            a, b, d = _IOPATH.match(line).groups()
            arcs.append((cell, a, b, int(d) * scale))
        elif line.startswith("(SETUPHOLD"):
            pin, clk, d = _SETUP.match(line).groups()
            clocks[cell].add(clk)
            key = (cell, pin)
            t.setup[key] = max(t.setup.get(key, 0), int(d) * scale)
        elif line.startswith("(INTERCONNECT"):
            src, dst, d = _WIRE.match(line).groups()
            t.fanin[_pin(dst)].append((_pin(src), int(d) * scale))
    for cell, a, b, d in arcs:
        if a in clocks[cell] or a.startswith("CLK") or a in ("RCLK", "WCLK"):
            t.launch[(cell, b)] = max(t.launch.get((cell, b), 0), d)
        else:
            t.fanin[(cell, b)].append(((cell, a), d))
    return t


def analyse(t):
    """Every pin's worst arrival (ps), the cell its worst path starts in and
    its worst fan-in pin."""
    arrival, start, via, state = {}, {}, {}, {}
    for root in t.setup:
        # Iterative depth-first search: the netlists are too deep to recurse.
        stack = [(root, False)]
        while stack:
            pin, done = stack.pop()
            if state.get(pin) == 2:
                continue
            if not done:
                if state.get(pin) == 1:
                    continue  # a loop: cut here
                state[pin] = 1
                stack.append((pin, True))
                for src, _ in t.fanin.get(pin, []):
                    if state.get(src) is None and LOOPS not in src[0]:
                        stack.append((src, False))
                continue
            best, origin, worst_src = None, None, None
            if pin in t.launch:
                best, origin = t.launch[pin], pin[0]
            for src, d in t.fanin.get(pin, []):
                if LOOPS in src[0] or src not in arrival:
                    continue
                if best is None or arrival[src] + d > best:
                    best, origin, worst_src = arrival[src] + d, start[src], src
            state[pin] = 2
            if best is not None:
                arrival[pin], start[pin], via[pin] = best, origin, worst_src
    return arrival, start, via


def endpoints(t, analysed=None):
    """[(arrival + setup in ns, endpoint pin, cell its worst path starts in)],
    from `analyse(t)` (made here if not given)."""
    arrival, start, _ = analysed or analyse(t)
    out = [((arrival[p] + su) / 1000.0, p, start[p]) for p, su in t.setup.items() if p in arrival]
    return sorted(out, reverse=True)


def trace(analysed, pin):
    """The worst path to `pin`: [(arrival ns, pin)], from its start, from
    `analyse(t)`."""
    arrival, _, via = analysed
    out = []
    while pin is not None:
        out.append((arrival[pin] / 1000.0, pin))
        pin = via.get(pin)
    return out[::-1]


def register(cell):
    """The register or memory a cell belongs to, from the names yosys gives
    the cells it maps a signal's logic to (e.g. scu.device.sha.v$4.q)."""
    cell = re.sub(r"^\$nextpnr_\w+", "?", cell)
    m = re.match(r"(.+?)(?:_SB_|_TRELLIS|_DP16KD|_MULT|_LUT4|_CCU2|_DFF|(?:\.\d+)+_|_RAM|_DSP|_LC|_SLICE|$)", cell)
    return m.group(1) if m else cell


def block(cell):
    parts = cell.split(".")
    if parts[:2] != ["scu", "device"]:
        return "board"
    return BLOCKS.get(parts[2] if len(parts) > 2 else "", "device controller")


def by_block(ends):
    """{block: [endpoint delays, ns, worst first]} for paths.json."""
    out = defaultdict(list)
    for ns, pin, _ in ends:
        out[block(pin[0])].append(round(ns, 2))
    return dict(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sdf")
    ap.add_argument("--mhz", type=float, default=40.0, help="the clock to check against")
    ap.add_argument("--top", type=int, default=40, help="rows per table")
    ap.add_argument("--explain", metavar="REGEX", help="print the worst path to an endpoint matching REGEX")
    a = ap.parse_args()
    with open(a.sdf) as f:
        t = read_sdf(f)
    analysed = analyse(t)
    ends = endpoints(t, analysed)
    if a.explain:
        for ns, pin, _ in ends:
            if re.search(a.explain, f"{pin[0]}/{pin[1]}"):
                for at, (cell, p) in trace(analysed, pin):
                    print(f"{at:7.2f}  {cell}/{p}")
                print(f"{ns:7.2f}  setup")
                return
        sys.exit(f"paths: no endpoint matches {a.explain}")
    if not ends:
        sys.exit("paths: no timed endpoints in the SDF")
    period = 1000.0 / a.mhz
    late = [e for e in ends if e[0] > period]
    print(f"{len(ends)} endpoints; worst {ends[0][0]:.2f} ns ({1000 / ends[0][0]:.2f} MHz); "
          f"{len(late)} miss {a.mhz:g} MHz ({period:.2f} ns)")
    for title, key in [("block", lambda e: block(e[1][0])),
                       ("endpoint register", lambda e: register(e[1][0])),
                       ("start -> endpoint", lambda e: f"{register(e[2])} -> {register(e[1][0])}")]:
        rows = defaultdict(lambda: [0, 0.0])
        for e in late:
            r = rows[key(e)]
            r[0] += 1
            r[1] = max(r[1], e[0])
        print(f"\nby {title} (endpoints late, worst ns):")
        for name, (n, worst) in sorted(rows.items(), key=lambda x: -x[1][1])[:a.top]:
            print(f"{n:6d} {worst:7.2f}  {name}")


if __name__ == "__main__":
    main()
