#!/usr/bin/env python3
"""Unit tests of the FPGA scripts' own logic (no toolchain needed):
`python3 fpga/test_scripts.py` (the test command runs it)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build  # noqa: E402
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


if __name__ == "__main__":
    unittest.main()
