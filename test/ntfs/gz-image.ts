/**
 * A gzip'd raw disk image as a ByteSource, inflated into memory lazily: only as far as the
 * furthest byte read so far (the fixtures' NTFS metadata and files lie in their first ~340 MiB
 * of 1 GiB). Blocks equal to an earlier uniform block (the disks' fill pattern, zeros) are shared,
 * so memory stays at the few MiB of real data. Faster than gunzipping to a temporary file, and
 * nothing to delete afterwards.
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

const loaded = new Map<string, ByteSource>();

/** The image at `path` (1 GiB unpacked), shared by every caller in a test file. */
export function loadGzImage(path: string, size = 1024 * 1024 * 1024): ByteSource {
  let image = loaded.get(path);
  if (!image) loaded.set(path, (image = lazyImage(path, size)));
  return image;
}

function lazyImage(path: string, size: number): ByteSource {
  const blocks: Buffer[] = [];
  const shared: Buffer[] = [];
  let pending: Buffer = Buffer.alloc(0);
  const chunks = createReadStream(path).pipe(createGunzip({ chunkSize: 1 << 20 }))[Symbol.asyncIterator]();
  let inflating: Promise<void> = Promise.resolve();

  const keep = (view: Buffer): void => {
    const same = shared.find((s) => s.equals(view));
    if (same) return void blocks.push(same);
    const block = Buffer.from(view); // a private copy: the inflate chunk is reused
    // Only uniform-looking blocks (a 4-byte period) are worth remembering for sharing.
    if (block.subarray(4).equals(block.subarray(0, BLOCK - 4)) && shared.length < 16) shared.push(block);
    blocks.push(block);
  };
  const inflateTo = async (end: number): Promise<void> => {
    while (blocks.length * BLOCK < end) {
      const next = await chunks.next();
      if (next.done) {
        if (pending.length > 0) blocks.push(Buffer.from(pending));
        pending = Buffer.alloc(0);
        if (blocks.length * BLOCK < end && blocks.reduce((s, b) => s + b.length, 0) < end) throw new Error(`${path} is shorter than ${end} bytes`);
        return;
      }
      pending = pending.length === 0 ? (next.value as Buffer) : Buffer.concat([pending, next.value as Buffer]);
      let at = 0;
      for (; at + BLOCK <= pending.length; at += BLOCK) keep(pending.subarray(at, at + BLOCK));
      pending = pending.subarray(at);
    }
  };
  return {
    size,
    async read(offset, length) {
      checkRange({ size }, offset, length, path);
      inflating = inflating.then(() => inflateTo(offset + length));
      await inflating;
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
