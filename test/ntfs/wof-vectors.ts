/**
 * The committed decompressor vectors (test-images/wof/vectors, made by make-vectors.sh with
 * wimlib's compressors): each a WofCompressedData stream cut into its chunks here, with a table
 * parser of the test's own, so the codec tests do not depend on wof.ts.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const DIR = new URL('../../test-images/wof/vectors/', import.meta.url).pathname;
export const CHUNK_SIZES = [4096, 32768, 8192, 16384];

export interface Vector {
  file: string;
  format: number;
  level: number;
  size: number;
  plain: Uint8Array;
  /** Each chunk: its stored bytes and its plaintext; `stored` when it did not shrink. */
  chunks: { packed: Uint8Array; plain: Uint8Array; stored: boolean }[];
}

export function loadVectors(): Vector[] {
  const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { vectors: { file: string; input: string; format: number; level: number; size: number }[] };
  const plains = new Map<string, Uint8Array>();
  return manifest.vectors.map((v) => {
    let plain = plains.get(v.input);
    if (!plain) plains.set(v.input, (plain = new Uint8Array(gunzipSync(readFileSync(`${DIR}${v.input}`)))));
    const stream = new Uint8Array(readFileSync(`${DIR}${v.file}`));
    const chunkSize = CHUNK_SIZES[v.format]!;
    const count = Math.ceil(v.size / chunkSize);
    const entry = v.size >= 2 ** 32 ? 8 : 4;
    const tableEnd = (count - 1) * entry;
    const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
    const ends = [...Array(count - 1).keys()].map((i) => tableEnd + view.getUint32(i * entry, true));
    ends.push(stream.length);
    const chunks = ends.map((end, i) => {
      const start = i === 0 ? tableEnd : ends[i - 1]!;
      const chunkPlain = plain!.subarray(i * chunkSize, Math.min(v.size, (i + 1) * chunkSize));
      return { packed: stream.subarray(start, end), plain: chunkPlain, stored: end - start === chunkPlain.length };
    });
    return { ...v, plain, chunks };
  });
}
