/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as v5 XFS metadata carries it: computed
 * over the whole structure with its own CRC field counted as zeros, seed ~0, stored inverted and
 * little-endian (xfs_cksum.h xfs_start_cksum/xfs_end_cksum).
 */
function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const TABLE = makeTable();

function update(crc: number, bytes: Uint8Array, start: number, end: number): number {
  let c = crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** Whether `bytes` holds a valid XFS CRC at `crcOffset` (the field itself counted as zeros). */
export function xfsCrcMatches(bytes: Uint8Array, crcOffset: number): boolean {
  if (crcOffset + 4 > bytes.length) return false;
  let crc = update(0xffffffff, bytes, 0, crcOffset);
  crc = update(crc, new Uint8Array(4), 0, 4);
  crc = update(crc, bytes, crcOffset + 4, bytes.length);
  const stored = (bytes[crcOffset]! | (bytes[crcOffset + 1]! << 8) | (bytes[crcOffset + 2]! << 16) | (bytes[crcOffset + 3]! << 24)) >>> 0;
  return (~crc >>> 0) === stored;
}
