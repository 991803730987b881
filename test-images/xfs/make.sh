#!/usr/bin/env bash
# Remakes the XFS test volumes in this folder (gzip'd raw volumes, no partition table) and
# manifest.json. mkfs.xfs populates each volume from a protofile (`mkfs.xfs -p`), with no mount;
# faketime fixes the inode times. xfs_db and xfs_repair -n are the oracle: every inode number in
# the manifest comes from xfs_db, and every volume must pass xfs_repair -n.
# Tools (Debian): xfsprogs, faketime, python3, coreutils, gzip.
# Usage: test-images/xfs/make.sh   (writes next to itself; scratch in $WORK)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../lib.sh"   # strict mode, C locale, UTC; fresh_work
fresh_work xfs   # $WORK
cd "$HERE"
rm -f -- *.img.gz manifest.json
# mkfs.xfs refuses volumes under 300 MB unless it believes it runs under fstests.
export TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1
FAKETIME_AT='2024-03-01 12:00:00'

# The source files and one protofile; tree.json lists what each volume must hold.
python3 "$HERE/tree.py" "$WORK"

make_volume() { # file, mkfs options...
  local file="$1"; shift
  truncate -s 48M "$WORK/$file"
  faketime -f "$FAKETIME_AT" mkfs.xfs -q -f -m uuid=6772742d-7866-7300-0000-00000000000$((++VOLUMES)) \
    -L grt-xfs "$@" -p "$WORK/proto" "$WORK/$file"
  xfs_db -x -f "$WORK/$file" <"$WORK/attr-commands" >"$WORK/$file.attr" 2>&1 || \
    (echo "$file: xfs_db attr_set failed" >&2; exit 1)
  python3 "$HERE/post.py" "$WORK/$file"
  xfs_repair -n "$WORK/$file" >"$WORK/$file.repair" 2>&1 || true
  python3 "$HERE/oracle.py" "$WORK" "$file" "$*" >>"$WORK/volumes.ndjson"
  gzip -9n <"$WORK/$file" >"$HERE/$file.gz"
}
VOLUMES=0
: >"$WORK/volumes.ndjson"
make_volume v5-4k.img -b size=4096
make_volume v4-1k.img -m crc=0 -b size=1024 -i size=256 -n ftype=0
make_volume v5-2k-i1024.img -b size=2048 -i size=1024,nrext64=1 -n size=8192
python3 - "$WORK" >"$HERE/manifest.json" <<'PY'
import json, sys
work = sys.argv[1]
tree = json.load(open(f"{work}/tree.json"))
volumes = [json.loads(line) for line in open(f"{work}/volumes.ndjson")]
print(json.dumps({"tool": "mkfs.xfs -p (xfsprogs), faketime", "time": tree["time"], "entries": tree["entries"], "volumes": volumes}, indent=1))
PY
ls -l "$HERE"/*.gz
