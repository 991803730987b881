#!/bin/bash
# Decompressor test vectors: realistic inputs compressed by wimlib's own XPRESS and LZX
# compressors (libwim-dev) into WofCompressedData streams (wofpack.c), at several levels (wimlib
# picks another parser per level: LZX at 100 writes aligned-offset blocks).
# Writes vectors/<input>.<format>.<level>.wof, vectors/<input>.bin.gz (the plaintext) and
# vectors/manifest.json. Deterministic: fixed inputs, an AES-CTR keystream with a fixed key.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK:-$(mktemp -d /tmp/grt-make-wof-XXXX)}
out=$here/vectors
mkdir -p "$out" "$work"
cc -O2 -Wall -o "$work/wofpack" "$here/wofpack.c" -lwim

pattern() { # pattern SEED BYTES: a fixed pseudo-random stream
  head -c "$2" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$1")" -iv 00000000000000000000000000000000
}
cat /usr/share/common-licenses/Apache-2.0 /usr/share/common-licenses/GFDL-1.3 > "$work/text.bin"
head -c 40000 /usr/bin/gzip > "$work/exe.bin"
head -c 40000 /dev/zero > "$work/zeros.bin"
pattern 1 9000 > "$work/random.bin"
# Sixteen letters at random: compresses to about half, with long Huffman codes and short matches.
pattern 2 24000 | perl -0777 -pe 'tr/\x00-\xff/a-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-pa-p/' > "$work/letters.bin"

names=(XPRESS4K LZX XPRESS8K XPRESS16K)
rm -f "$out"/*.wof "$out"/*.bin.gz
{
  echo '{ "note": "WofCompressedData streams from wimlib compressors; plaintext in <input>.bin.gz", "vectors": ['
  first=1
  for input in text exe zeros random letters; do
    gzip -9n < "$work/$input.bin" > "$out/$input.bin.gz"
    size=$(stat -c %s "$work/$input.bin")
    sha=$(sha256sum < "$work/$input.bin" | cut -d' ' -f1)
    for format in 0 1 2 3; do
      levels="50"; [ $format = 1 ] && levels="50 100"
      for level in $levels; do
        file=$input.${names[$format]}.$level.wof
        "$work/wofpack" "$format" "$level" "$size" "$work/$input.bin" "$out/$file"
        [ $first = 1 ] || echo ','
        first=0
        printf '  { "file": "%s", "input": "%s.bin.gz", "format": %d, "level": %d, "size": %d, "sha256": "%s" }' \
          "$file" "$input" "$format" "$level" "$size" "$sha"
      done
    done
  done
  echo
  echo '] }'
} > "$out/manifest.json"
du -sh "$out"
