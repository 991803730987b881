/**
 * Kernel copies through the log-replay overlay (fs/xfs/log/overlay.ts OverlaySource.copyOut): a
 * run the replay did not rewrite is handed to the volume's source, up to the first replayed
 * sector; a replayed sector is refused (0), so its bytes are read from memory. A restore of a
 * file on a volume with a replayed log is bit-exact either way, and the kernel copies the rest.
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ByteSource, HostCopy } from '../../src/io/byte-source.js';
import { FileSource } from '../../src/io/file-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { OverlaySource, SECTOR, SectorOverlay } from '../../src/fs/xfs/log/overlay.js';
import { fsBlockToByte } from '../../src/fs/xfs/superblock.js';
import { openXfs } from '../../src/fs/xfs/volume.js';
import { countingNative, restoreLayout, tempFiles } from '../restore/kernel-copy-helpers.js';
import { bufferItem, writeLog } from './log-builder.js';
import { fixture, V5 } from './log-fixture.js';

const { fresh } = tempFiles('grt-xfs-copy-out-');
/** Where kernel-copy.ts looks for the next run after a refused byte (its PROBE_BYTES). */
const PROBE_BYTES = 64 * 1024;

/** A memory source with a copyOut that hands every run over whole, recording [offset, length]. */
function handingSource(bytes: Uint8Array): { source: ByteSource; handed: [number, number][] } {
  const inner = new MemorySource(bytes, 'volume');
  const handed: [number, number][] = [];
  const source: ByteSource = {
    size: inner.size,
    read: (offset, length) => inner.read(offset, length),
    copyOut: async (offset, length, copy) => {
      handed.push([offset, length]);
      return copy(3, offset, length);
    },
  };
  return { source, handed };
}

const takeAll: HostCopy = (_fd, _fileOffset, length) => length;

describe('OverlaySource.copyOut', () => {
  it('hands the run up to the first replayed sector, refuses a replayed one, and hands the run after it', async () => {
    const { source, handed } = handingSource(new Uint8Array(64 * SECTOR));
    const overlay = new SectorOverlay(source);
    await overlay.write(10 * SECTOR + 7, new Uint8Array([1, 2, 3]));
    const replayed = new OverlaySource(overlay);
    expect(await replayed.copyOut(100, 20 * SECTOR, takeAll)).toBe(10 * SECTOR - 100);
    expect(await replayed.copyOut(10 * SECTOR + 300, 5, takeAll)).toBe(0);
    expect(await replayed.copyOut(11 * SECTOR, 53 * SECTOR, takeAll)).toBe(53 * SECTOR);
    expect(handed).toEqual([[100, 10 * SECTOR - 100], [11 * SECTOR, 53 * SECTOR]]);
  });

  it('never hands over a replayed byte, and hands over the longest run that has none (property)', async () => {
    const sectors = 300; // past the 64 sectors a lookup checks one by one: the sorted search too
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.nat(sectors - 1), { maxLength: 20 }), fc.nat(sectors * SECTOR - 1), fc.integer({ min: 1, max: sectors * SECTOR }), async (written, offset, wanted) => {
        const { source, handed } = handingSource(new Uint8Array(sectors * SECTOR));
        const overlay = new SectorOverlay(source);
        for (const sector of written) await overlay.write(sector * SECTOR, new Uint8Array(SECTOR).fill(1));
        const length = Math.min(wanted, sectors * SECTOR - offset);
        const copied = await new OverlaySource(overlay).copyOut(offset, length, takeAll);
        const isReplayed = (byte: number): boolean => written.includes(Math.floor(byte / SECTOR));
        if (isReplayed(offset)) {
          expect([copied, handed]).toEqual([0, []]);
          return;
        }
        expect(copied).toBeGreaterThan(0);
        for (let byte = offset; byte < offset + copied; byte += 1) if (isReplayed(byte)) throw new Error(`replayed byte ${byte} handed over`);
        // Maximal: it stops at the range's end or at a replayed sector.
        expect(offset + copied === offset + length || isReplayed(offset + copied)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a source without copyOut (or an unreplayed volume read in memory) hands nothing over', async () => {
    const overlay = new SectorOverlay(new MemorySource(new Uint8Array(8 * SECTOR), 'volume'));
    await overlay.write(SECTOR, new Uint8Array(SECTOR));
    expect(await new OverlaySource(overlay).copyOut(0, 8 * SECTOR, takeAll)).toBe(0);
  });
});

describe('restoring a file from a volume with a replayed log', () => {
  it('is bit-exact, with the kernel copying every byte the replay did not rewrite', async () => {
    const f = await fixture(V5);
    const bytes = f.bytes.slice();
    const plain = await openXfs(new MemorySource(f.bytes.slice(), V5));
    const [extent] = await plain.volume.extents(await plain.volume.readInode((await plain.stat('/big.bin')).id.record), []);
    // A buffer item over one block of /big.bin's data, 20 blocks in (past the first 64 KiB).
    const blockByte = fsBlockToByte(f.sb, extent!.fsBlock + 20);
    const edit = new TextEncoder().encode('written by the log');
    const item = bufferItem(bytes, blockByte / SECTOR, f.sb.blockSize / SECTOR, [{ offset: 100, bytes: edit }]);
    writeLog(bytes, f.sb, [{ tid: 9, items: [item] }]);
    const path = fresh('dirty.img');
    writeFileSync(path, bytes);
    const source = await FileSource.open(path);
    try {
      const fs = await openXfs(source);
      expect(fs.info.logReplayed).toBe(1);
      const layout = await fs.streamLayout('/big.bin');
      const expected = Buffer.from(await (await fs.openStream('/big.bin')).read(0, layout.size));
      expect(expected.subarray(20 * f.sb.blockSize + 100, 20 * f.sb.blockSize + 100 + edit.length).toString()).toBe('written by the log');
      const { native, copied } = countingNative();
      const restored = await restoreLayout(fs.volume.source, layout, native, fresh);
      expect(Buffer.compare(restored.bytes, expected)).toBe(0);
      // The replayed block's 64 KiB window (from the block to the next probe) is read, the rest copied.
      const refused = PROBE_BYTES - ((20 * f.sb.blockSize) % PROBE_BYTES);
      expect(copied.bytes).toBe(layout.size - refused);
    } finally {
      await source.close();
    }
  });
});
