#!/usr/bin/env bash
# The whole test suite: installs missing tools, then formatting, lints, API docs,
# the no_std build, every test of the workspace, and the UP5K tiny FPGA build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-tools.sh
# Tests that need verilator, yosys or nextpnr fail rather than skip.
export SCU_REQUIRE_TOOLS=1
export PATH="$HOME/.cargo/bin:$PATH"

step() { echo; echo "=== $* ==="; }

step "format"
cargo fmt --all -- --check
step "lints"
cargo clippy --workspace --all-targets --locked --features scu-driver/rtl -- -D warnings
step "API docs (rustdoc: no broken links)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --features scu-driver/rtl
step "no_std builds (thumbv7em-none-eabi): the shared protocol/ISA crate and the driver core"
cargo build --locked -p scu-model --lib --no-default-features --target thumbv7em-none-eabi
cargo build --locked -p scu-model --lib --no-default-features --features alloc --target thumbv7em-none-eabi
cargo build --locked -p scu-driver --lib --no-default-features --target thumbv7em-none-eabi
step "tests (the driver with its Verilated RTL backend)"
cargo test --workspace --locked --features scu-driver/rtl
step "FPGA: the UP5K tiny build end to end (yosys, nextpnr-ice40, icepack, icebram personalisation); fails if it does not fit or misses its clock"
python3 fpga/test_scripts.py
python3 fpga/build.py --board icebreaker --lanes 1 >/dev/null
python3 - <<'PY'
import json
r = json.load(open("target/fpga/icebreaker-L1/report.json"))
lc = r["logic_cells"]
print(f"UP5K L=1: {lc['used']} of {lc['available']} logic cells, Fmax {r['fmax_mhz']} MHz "
      f"for the {r['clock_target_mhz']} MHz it promises;\nmeasurement (template bitstream SHA-256) "
      f"{r['measurement']}, test device patched from it: {r['device_bitstream_sha256']}")
PY
echo
echo "all tests passed"
