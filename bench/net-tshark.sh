#!/bin/sh
# Opens the echo server's wire capture in tshark (issue 9 acceptance: "the pcap opens in tshark").
# Installs Debian's tshark when it is missing (needs root; CI does not run this), writes a capture
# with `sddf run`, and lets tshark read and summarise it. Exit status: tshark's.
set -eu
cd "$(dirname "$0")/.."
if ! command -v tshark >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq tshark >/dev/null
fi
mkdir -p out
node bin/sddf.mjs run echo --packets "${1:-2000}" --seed 1 --pcap out/net-echo.pcap
tshark -r out/net-echo.pcap -q -z io,stat,0
tshark -r out/net-echo.pcap -c 8
