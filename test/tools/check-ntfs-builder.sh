#!/usr/bin/env bash
# Runs real NTFS tools over the synthetic images from write-ntfs-sample.ts and checks every
# file's sha256 against the spec. By hand only (CI has none of these tools); needs root for the
# ntfs-3g loop mount. Results are recorded in test/builders/ntfs/VERIFIED.md.
# Usage: test/tools/check-ntfs-builder.sh [work directory]
set -u
WORK=${1:-/tmp/ntfs-builder-check}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$WORK"
(cd "$HERE" && npx vite-node test/tools/write-ntfs-sample.ts "$WORK") || exit 1
FAIL=0
for IMG in "$WORK"/*.img; do
  NAME=$(basename "$IMG" .img)
  MANIFEST="$WORK/$NAME.sha256"
  echo "=== $NAME"
  fsstat "$IMG" >"$WORK/$NAME.fsstat" 2>&1 || { echo "fsstat FAILED"; FAIL=1; }
  fls -r -p "$IMG" >"$WORK/$NAME.fls" 2>&1 || { echo "fls FAILED"; FAIL=1; }
  if [ ! -s "$MANIFEST" ]; then
    echo "(no files)"
    ntfsls "$IMG" >/dev/null 2>&1 && echo "ntfsls: ok" || { echo "ntfsls FAILED"; FAIL=1; }
    continue
  fi
  # icat every manifest path: resolve its inode (and stream attribute) through fls output.
  BAD=0
  while read -r SUM PATHNAME; do
    REL=${PATHNAME#/}
    INODE=$(awk -F'\t' -v p="$REL" '$2 == p { split($1, a, " "); sub(":", "", a[2]); print a[2]; exit }' "$WORK/$NAME.fls")
    if [ -z "$INODE" ]; then echo "fls: missing $PATHNAME"; BAD=1; continue; fi
    GOT=$(icat "$IMG" "$INODE" 2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$GOT" = "$SUM" ] || { echo "icat: sha256 mismatch $PATHNAME ($INODE)"; BAD=1; }
  done <"$MANIFEST"
  [ $BAD = 0 ] && echo "fls+icat: all $(wc -l <"$MANIFEST") files match" || FAIL=1
  if command -v ntfsfix >/dev/null; then
    ntfsfix -n "$IMG" >"$WORK/$NAME.ntfsfix" 2>&1 && echo "ntfsfix -n: ok" || { echo "ntfsfix -n FAILED"; cat "$WORK/$NAME.ntfsfix"; FAIL=1; }
  fi
  if command -v ntfsls >/dev/null; then
    ntfsls -R -a "$IMG" >"$WORK/$NAME.ntfsls" 2>&1 && echo "ntfsls: $(wc -l <"$WORK/$NAME.ntfsls") lines" || { echo "ntfsls FAILED"; head "$WORK/$NAME.ntfsls"; FAIL=1; }
  fi
  MNT="$WORK/mnt-$NAME"
  mkdir -p "$MNT"
  if mount -t ntfs-3g -o ro,loop,streams_interface=windows "$IMG" "$MNT" 2>"$WORK/$NAME.mount"; then
    if OUT=$(cd "$MNT" && sed 's|  /|  |' "$MANIFEST" | sha256sum --quiet -c - 2>&1); then
      echo "ntfs-3g mount: all files match"
    else
      echo "$OUT" | head -20 | sed 's/^/ntfs-3g: /'
      FAIL=1
    fi
    umount "$MNT"
  else
    echo "ntfs-3g mount FAILED: $(cat "$WORK/$NAME.mount")"
    FAIL=1
  fi
done
exit $FAIL
