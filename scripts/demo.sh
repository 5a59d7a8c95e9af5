#!/usr/bin/env bash
# The main job: `scu demo`, two simulated SCUs at work (identity,
# attestation, ECDH, a signature, the cycles each step costs); no board,
# no Verilator. Installs Rust first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null 2>&1; then
  SCU_RUST_ONLY=1 source scripts/install-tools.sh
fi
export PATH="$HOME/.cargo/bin:$PATH"
exec cargo run --quiet --release --locked -p scu-driver --bin scu -- demo "$@"
