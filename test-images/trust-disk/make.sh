#!/bin/sh
# Makes the containers grt must recognise and refuse instead of reading them as raw disks: a 1 MiB
# disk written by qemu-img in every other format it knows, gzip'd (they are mostly zeros), and
# manifest.json naming what each one is (the words grt's UNSUPPORTED message must use).
# Needs qemu-img, gzip, sha256sum. Run from anywhere: ./make.sh (rewrites the files beside it).
set -eu
cd "$(dirname "$0")"
WORK=$(mktemp -d /tmp/grt-make-trust-disk-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
rm -f ./*.gz manifest.json

make() { # name format options
  qemu-img create -q -f "$2" ${3:+-o "$3"} "$WORK/$1" 1M
  gzip -9n < "$WORK/$1" > "$1.gz"
}
make qcow2-v3.qcow2 qcow2 compat=1.1
make qcow2-v2.qcow2 qcow2 compat=0.10
make dynamic.vhd vpc subformat=dynamic
make fixed.vhd vpc subformat=fixed
make disk.vhdx vhdx
make disk.vdi vdi

{
  echo '{'
  echo '  "tool": "'"$(qemu-img --version | head -1)"'",'
  echo '  "files": {'
  echo '    "qcow2-v3.qcow2.gz": "a QCOW2 image (version 3)",'
  echo '    "qcow2-v2.qcow2.gz": "a QCOW2 image (version 2)",'
  echo '    "dynamic.vhd.gz": "a VHD image (dynamic)",'
  echo '    "fixed.vhd.gz": "a VHD image (fixed)",'
  echo '    "disk.vhdx.gz": "a VHDX image",'
  echo '    "disk.vdi.gz": "a VirtualBox VDI image"'
  echo '  },'
  echo '  "sha256": {'
  first=1
  for f in *.gz; do
    [ $first = 1 ] || echo ','
    first=0
    printf '    "%s": "%s"' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
  done
  echo
  echo '  }'
  echo '}'
} > manifest.json
