/*
 * Test-side writer: compress a file into a WOF "WofCompressedData" stream with wimlib's own
 * XPRESS and LZX compressors, as Windows lays it out: (chunks - 1) little-endian chunk end offsets
 * (4 bytes each, 8 when the uncompressed size is 4 GiB or more) measured from the end of the table,
 * then the chunks, each compressed alone; a chunk that does not shrink is stored as it is.
 *
 *   wofpack FORMAT LEVEL SIZE INPUT OUTPUT
 * FORMAT: 0 XPRESS4K, 1 LZX (32 KiB), 2 XPRESS8K, 3 XPRESS16K. SIZE: bytes of INPUT to take
 * (missing input bytes read as zeros, so a sparse file over 4 GiB needs no big INPUT).
 * Build: cc -O2 -o wofpack wofpack.c -lwim
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wimlib.h>

int main(int argc, char **argv) {
  if (argc != 6) { fprintf(stderr, "usage: wofpack FORMAT LEVEL SIZE INPUT OUTPUT\n"); return 2; }
  int format = atoi(argv[1]);
  unsigned level = (unsigned)atoi(argv[2]);
  uint64_t size = strtoull(argv[3], NULL, 10);
  static const size_t chunk_sizes[] = { 4096, 32768, 8192, 16384 };
  if (format < 0 || format > 3) return 2;
  size_t chunk = chunk_sizes[format];
  int ctype = format == 1 ? WIMLIB_COMPRESSION_TYPE_LZX : WIMLIB_COMPRESSION_TYPE_XPRESS;
  struct wimlib_compressor *c;
  if (wimlib_create_compressor(ctype, chunk, level, &c) != 0) { fprintf(stderr, "no compressor\n"); return 1; }
  FILE *in = fopen(argv[4], "rb"), *out = fopen(argv[5], "wb");
  if (!in || !out) { perror("open"); return 1; }
  uint64_t chunks = (size + chunk - 1) / chunk;
  int entry = size >= (1ull << 32) ? 8 : 4;
  uint64_t table_bytes = chunks == 0 ? 0 : (chunks - 1) * entry;
  unsigned char *table = calloc(table_bytes ? table_bytes : 1, 1);
  unsigned char *plain = malloc(chunk), *packed = malloc(chunk);
  fseeko(out, (off_t)table_bytes, SEEK_SET);
  uint64_t end = 0;
  for (uint64_t i = 0; i < chunks; i++) {
    size_t n = (size_t)(size - i * chunk < chunk ? size - i * chunk : chunk);
    size_t got = fread(plain, 1, n, in);
    memset(plain + got, 0, n - got);
    size_t z = wimlib_compress(plain, n, packed, n - 1, c);
    const unsigned char *bytes = z ? packed : plain;
    size_t len = z ? z : n;
    fwrite(bytes, 1, len, out);
    end += len;
    if (i + 1 < chunks) for (int b = 0; b < entry; b++) table[i * entry + b] = (unsigned char)(end >> (8 * b));
  }
  fseeko(out, 0, SEEK_SET);
  fwrite(table, 1, table_bytes, out);
  fclose(out);
  wimlib_free_compressor(c);
  return 0;
}
