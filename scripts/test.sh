#!/usr/bin/env bash
# The whole test suite: installs missing tools, then formatting, lints,
# the no_std build, and every test of the workspace.
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
step "no_std builds (thumbv7em-none-eabi): the shared protocol/ISA crate and the driver core"
cargo build --locked -p scu-model --lib --no-default-features --target thumbv7em-none-eabi
cargo build --locked -p scu-model --lib --no-default-features --features alloc --target thumbv7em-none-eabi
cargo build --locked -p scu-driver --lib --no-default-features --target thumbv7em-none-eabi
step "tests (the driver with its Verilated RTL backend)"
cargo test --workspace --locked --features scu-driver/rtl
echo
echo "all tests passed"
