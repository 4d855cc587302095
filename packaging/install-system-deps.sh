#!/usr/bin/env bash
# System libraries Qt, VTK and the virtual X server need on a bare Debian machine.
set -euo pipefail
pkgs=(python3 python3-venv python3-pip libgl1 libegl1 libgl1-mesa-dri libglib2.0-0 libdbus-1-3
      libfontconfig1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
      libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
      libxcb-xfixes0 libxrender1 libxi6 xvfb xauth poppler-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
