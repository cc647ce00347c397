#!/usr/bin/env bash
# Installs what the browser tests need on a Debian host: Chromium, Node.js
# (when missing) and playwright-core, which drives the system Chromium.
set -euo pipefail
cd "$(dirname "$0")"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
packages=(chromium)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
npm ci --no-audit --no-fund --loglevel=error
