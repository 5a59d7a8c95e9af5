#!/usr/bin/env bash
# The main job: the SCU at work on a simulated device, no board needed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null 2>&1; then
  export PATH="$HOME/.cargo/bin:$PATH"
  command -v cargo >/dev/null 2>&1 || { echo "demo: Rust is missing; run ./scripts/install-tools.sh first" >&2; exit 1; }
fi
exec cargo run --quiet --release --locked -p scu-model --bin scu-model-demo
