/**
 * Test-side LZNT1 compressor ([MS-XCA] 2.5): a greedy matcher with short hash chains, good enough
 * to build compressed NTFS files and to round-trip the decompressor. Not tuned for ratio.
 *
 * Each 4096-byte slice of the input becomes one chunk. A slice that does not shrink is stored as
 * a raw chunk of exactly 4096 bytes (a short last slice is zero-padded), because ntfs-3g accepts
 * stored chunks only at full size.
 */

const CHUNK_SIZE = 4096;
/** How many earlier positions with the same 3-byte hash are tried per position. */
const CHAIN_DEPTH = 24;
const HASH_SIZE = 1 << 12;

export function compressLznt1(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let start = 0; start < data.length; start += CHUNK_SIZE) {
    parts.push(compressChunk(data.subarray(start, Math.min(start + CHUNK_SIZE, data.length))));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function hash3(c: Uint8Array, i: number): number {
  return ((c[i] << 4) ^ (c[i + 1] << 2) ^ c[i + 2]) & (HASH_SIZE - 1);
}

function compressChunk(chunk: Uint8Array): Uint8Array {
  // Worst case: 2-byte header + one flag byte per 8 literals.
  const buf = new Uint8Array(2 + chunk.length + Math.ceil(chunk.length / 8) + 2);
  let outPos = 2;
  const head = new Int32Array(HASH_SIZE).fill(-1);
  const prev = new Int32Array(chunk.length).fill(-1);
  let pos = 0;
  while (pos < chunk.length) {
    const flagPos = outPos++;
    let flags = 0;
    for (let bit = 0; bit < 8 && pos < chunk.length; bit++) {
      let offsetBits = 4;
      for (let reach = (pos - 1) >> 4; pos > 0 && reach !== 0; reach >>= 1) offsetBits++;
      const lengthBits = 16 - offsetBits;
      const maxLength = Math.min((1 << lengthBits) + 2, chunk.length - pos);
      const maxDistance = Math.min(1 << offsetBits, pos);
      let bestLength = 0;
      let bestDistance = 0;
      if (pos + 3 <= chunk.length) {
        let candidate = head[hash3(chunk, pos)];
        for (let depth = 0; depth < CHAIN_DEPTH && candidate >= 0 && pos - candidate <= maxDistance; depth++) {
          let length = 0;
          while (length < maxLength && chunk[candidate + length] === chunk[pos + length]) length++;
          if (length > bestLength) {
            bestLength = length;
            bestDistance = pos - candidate;
          }
          candidate = prev[candidate];
        }
      }
      const step = bestLength >= 3 ? bestLength : 1;
      if (bestLength >= 3) {
        const token = ((bestDistance - 1) << lengthBits) | (bestLength - 3);
        buf[outPos++] = token & 0xff;
        buf[outPos++] = token >>> 8;
        flags |= 1 << bit;
      } else {
        buf[outPos++] = chunk[pos];
      }
      for (let i = 0; i < step; i++, pos++) {
        if (pos + 3 <= chunk.length) {
          const h = hash3(chunk, pos);
          prev[pos] = head[h];
          head[h] = pos;
        }
      }
    }
    buf[flagPos] = flags;
  }
  const dataSize = outPos - 2;
  if (dataSize >= CHUNK_SIZE) {
    const stored = new Uint8Array(2 + CHUNK_SIZE);
    stored[0] = 0xff; // header 0x3fff: stored, signature 3, size 4098 − 3
    stored[1] = 0x3f;
    stored.set(chunk, 2);
    return stored;
  }
  const header = 0xb000 | (dataSize - 1);
  buf[0] = header & 0xff;
  buf[1] = header >>> 8;
  return buf.slice(0, outPos);
}
