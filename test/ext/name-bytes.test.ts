/**
 * A name is its bytes: one that starts with EF BB BF (U+FEFF) is listed, found and read under
 * that name, not under the name without it (TextDecoder's default would drop it as a byte-order
 * mark, and a restore would then write the file under another name).
 */
import { describe, expect, it } from 'vitest';
import { openExt } from '../../src/fs/ext/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { volumeBytes } from './ext-images.js';

/** ext2-1k with the root's entry "big.bin" (name_len 7, type 1) renamed "\ufeff.bin": same length in bytes. */
function withBomName(): Uint8Array {
  const bytes = volumeBytes('ext2-1k.img.gz').slice();
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(Buffer.from('\x07\x01big.bin', 'latin1'));
  expect(at).toBeGreaterThan(0);
  bytes.set([0xef, 0xbb, 0xbf], at + 2);
  return bytes;
}

describe('ext names that start with EF BB BF', () => {
  it('are listed, found and read with their U+FEFF', async () => {
    const fs = await openExt(new MemorySource(withBomName(), 'bom-name'));
    const names = (await fs.readDir('/')).map((entry) => entry.name);
    expect(names).toContain('\ufeff.bin');
    expect(names).not.toContain('.bin');
    const entry = await fs.stat('/\ufeff.bin');
    expect(entry.size).toBe(300_000);
    await expect(fs.stat('/.bin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const stream = await fs.openStream('/\ufeff.bin');
    expect((await stream.read(0, 16)).length).toBe(16);
  });
});
