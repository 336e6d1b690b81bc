#!/usr/bin/env bash
# Installs the system libraries SwiftKeras links (OpenBLAS, LAPACKE, zlib, libpng, libjpeg-turbo, HDF5)
# when missing. --plot adds what pictures need: Graphviz (model diagrams) and librsvg2-bin
# (PNG training curves).
set -euo pipefail
packages=(libopenblas-dev liblapacke-dev zlib1g-dev libpng-dev libturbojpeg0-dev libhdf5-dev pkg-config)
if [ "${1:-}" = "--plot" ]; then packages+=(graphviz librsvg2-bin); fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
