/**
 * A gzip'd raw disk image as a ByteSource, inflated once into memory. The fixture disks are 1 GiB
 * of which nearly all is one repeated fill pattern, so blocks equal to an earlier block's content
 * with the same fill (all-pattern or all-zero) are shared: memory stays at the few MiB of real data.
 * Faster than gunzipping 1 GiB to a temporary file, and nothing to delete afterwards.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { ByteSource } from '../../src/io/byte-source.js';
import { checkRange } from '../../src/io/byte-source.js';

const BLOCK = 64 * 1024;

export const FIXTURES = new URL('../../../shared/fixtures/ntfs-samples/', import.meta.url).pathname;

export function fixturePath(name: string): string | undefined {
  const path = `${FIXTURES}${name}.raw.gz`;
  return existsSync(path) ? path : undefined;
}

const loaded = new Map<string, Promise<ByteSource>>();

/** The image at `path`, inflated once per test file (later calls share it). */
export function loadGzImage(path: string): Promise<ByteSource> {
  let image = loaded.get(path);
  if (!image) loaded.set(path, (image = inflate(path)));
  return image;
}

async function inflate(path: string): Promise<ByteSource> {
  const blocks: Buffer[] = [];
  const shared: Buffer[] = [];
  let pending: Buffer = Buffer.alloc(0);
  const keep = (view: Buffer): void => {
    const same = shared.find((s) => s.equals(view));
    if (same) return void blocks.push(same);
    const block = Buffer.from(view); // a private copy: the inflate chunk is reused
    // Only uniform-looking blocks (a 4-byte period) are worth remembering for sharing.
    if (block.subarray(4).equals(block.subarray(0, BLOCK - 4)) && shared.length < 16) shared.push(block);
    blocks.push(block);
  };
  for await (const chunk of createReadStream(path).pipe(createGunzip({ chunkSize: 1 << 20 }))) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let at = 0;
    for (; at + BLOCK <= pending.length; at += BLOCK) keep(pending.subarray(at, at + BLOCK));
    pending = pending.subarray(at);
  }
  if (pending.length > 0) blocks.push(Buffer.from(pending));
  const size = blocks.reduce((sum, b) => sum + b.length, 0);
  return {
    size,
    async read(offset, length) {
      checkRange({ size }, offset, length, path);
      const out = new Uint8Array(length);
      for (let done = 0; done < length; ) {
        const index = Math.floor((offset + done) / BLOCK);
        const within = (offset + done) % BLOCK;
        const take = Math.min(BLOCK - within, length - done);
        out.set(blocks[index]!.subarray(within, within + take), done);
        done += take;
      }
      return out;
    },
  };
}
