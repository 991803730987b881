/**
 * Damaged volumes: random bit flips in the MFT, index blocks and anywhere else, and truncation,
 * end in GrtError or warnings — never another exception, never a hang. Also undecodable data
 * (EFS, WOF, dedup) is listed but refused, and a damaged primary boot sector falls back to the backup.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { ATTR_DATA, ATTR_REPARSE_POINT, ATTR_STANDARD_INFORMATION, type Attribute } from '../../src/fs/ntfs/attribute.js';
import { describeFile } from '../../src/fs/ntfs/file-entry.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { buildNtfsVolume, type NtfsSpec } from '../builders/ntfs-builder.js';

const text = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => 97 + ((i * 7 + seed + (i >> 9)) % 26));

const SPEC: NtfsSpec = {
  clusterSize: 1024,
  mftAttributeList: true,
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'file', name: 'secret.txt', data: text(5000) },
      { kind: 'file', name: 'compressed.txt', data: text(40_000, 1), compressed: true },
      { kind: 'file', name: 'frag.bin', data: text(30_000, 2), fragmented: true, streams: [{ name: 's', data: text(3000) }] },
      { kind: 'dir', name: 'big', children: Array.from({ length: 120 }, (_, i) => ({ kind: 'file' as const, name: `entry-${i}.txt`, data: text(i % 7) })) },
    ],
  },
};
const BUILT = buildNtfsVolume(SPEC);

/** Open, walk, stat and read everything; any exception must be a GrtError. */
async function exercise(image: Uint8Array): Promise<void> {
  const expectGrt = (error: unknown): void => {
    if (!(error instanceof GrtError)) throw error;
  };
  try {
    const volume = await openNtfs(new MemorySource(image));
    const entries = [];
    for await (const entry of volume.walk('/', { all: true, deleted: true })) entries.push(entry);
    for (const path of ['/big', '/']) await volume.readDir(path).catch(expectGrt);
    for (const entry of entries.slice(0, 40)) {
      await volume.stat(entry.path).catch(expectGrt);
      if (entry.type !== 'file') continue;
      for (const name of ['', ...entry.streams.map((s) => s.name)]) {
        try {
          const stream = await volume.openStream(entry, name);
          await stream.read(0, Math.min(stream.size, 256 * 1024));
        } catch (error) {
          expectGrt(error);
        }
      }
    }
  } catch (error) {
    expectGrt(error);
  }
}

describe('damaged volumes', () => {
  const mftStart = BUILT.mftLcn * BUILT.clusterSize;
  it('bit flips in the MFT', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(200 * BUILT.recordSize - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 20 }), async (flips) => {
        const image = BUILT.image.slice();
        for (const [at, mask] of flips) image[mftStart + at]! ^= mask;
        await exercise(image);
      }),
      { seed: 11, numRuns: 60 },
    );
  }, 30_000);

  it('bit flips anywhere, and truncation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(BUILT.image.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 200 }),
        fc.option(fc.nat(BUILT.image.length), { nil: undefined }),
        async (flips, cut) => {
          const image = BUILT.image.slice(0, cut);
          for (const [at, mask] of flips) if (at < image.length) image[at]! ^= mask;
          await exercise(image);
        },
      ),
      { seed: 12, numRuns: 40 },
    );
  }, 30_000);

  it('a damaged primary boot sector falls back to the backup, with a warning', async () => {
    const image = BUILT.image.slice();
    image.copyWithin(image.length - 512, 0, 512);
    image.fill(0, 0, 512);
    const volume = await openNtfs(new MemorySource(image));
    expect(volume.warnings.map((w) => w.code)).toEqual(['BAD_MAGIC']);
    expect((await volume.readDir('/')).length).toBe(4);
  });
});

describe('undecodable data', () => {
  it('an EFS-encrypted file is listed with undecodable "efs" and refused with ENCRYPTED', async () => {
    const image = BUILT.image.slice();
    const view = new DataView(image.buffer);
    const record = (await openNtfs(new MemorySource(BUILT.image))).mft.recordOffset(BUILT.records.get('/secret.txt')!);
    const first = view.getUint16(record + 20, true);
    expect(view.getUint32(record + first, true)).toBe(ATTR_STANDARD_INFORMATION);
    const value = record + first + view.getUint16(record + first + 20, true);
    view.setUint32(value + 32, view.getUint32(value + 32, true) | 0x4000, true);
    const volume = await openNtfs(new MemorySource(image));
    const entry = await volume.stat('/secret.txt');
    expect(entry.undecodable).toBe('efs');
    await expect(volume.openStream(entry)).rejects.toMatchObject({ code: 'ENCRYPTED' });
    await expect(volume.streamLayout('/secret.txt')).rejects.toMatchObject({ code: 'ENCRYPTED' });
  });

  it('WOF and dedup reparse points make a file undecodable', async () => {
    for (const [tag, kind] of [[0x80000017, 'wof'], [0x80000013, 'dedup']] as const) {
      const reparse = new Uint8Array(16);
      new DataView(reparse.buffer).setUint32(0, tag, true);
      const attribute = (type: number, value: Uint8Array): Attribute => ({ type, name: '', flags: 0, id: 0, recordNumber: 30, value, nonResident: null });
      const described = await describeFile(
        { record: { recordNumber: 30, sequence: 1, flags: 1, inUse: true, base: { record: 0, sequence: 0 }, attributes: [] }, attributes: [attribute(ATTR_STANDARD_INFORMATION, new Uint8Array(48)), attribute(ATTR_DATA, new Uint8Array(0)), attribute(ATTR_REPARSE_POINT, reparse)], warnings: [] },
        new MemorySource(new Uint8Array(0)),
        4096,
      );
      expect(described.body.undecodable).toBe(kind);
    }
  });
});

describe('$MFT record 0 damaged', () => {
  it('is found through $MFTMirr, with a warning', async () => {
    const volume = await openNtfs(new MemorySource(BUILT.image));
    const image = BUILT.image.slice();
    const record0 = volume.mft.recordOffset(0);
    image.fill(0, record0, record0 + 4);
    const repaired = await openNtfs(new MemorySource(image));
    expect(repaired.warnings.map((w) => w.code)).toEqual(['BAD_RECORD']);
    expect((await repaired.readDir('/big')).length).toBe(120);
  });
});

describe('a damaged child record', () => {
  it('readDir lists it from its index entry (type, size) with the error as a warning', async () => {
    const volume = await openNtfs(new MemorySource(BUILT.image));
    const image = BUILT.image.slice();
    for (const path of ['/big', '/secret.txt']) {
      const record = volume.mft.recordOffset(BUILT.records.get(path)!);
      image.fill(0, record, record + 4);
    }
    const listed = await (await openNtfs(new MemorySource(image))).readDir('/');
    const big = listed.find((e) => e.name === 'big')!;
    const secret = listed.find((e) => e.name === 'secret.txt')!;
    expect([big.type, secret.type, secret.size]).toEqual(['dir', 'file', 5000]);
    expect([...big.warnings, ...secret.warnings].map((w) => w.code)).toEqual(['BAD_RECORD', 'BAD_RECORD']);
    expect(secret.id.record).toBe(BUILT.records.get('/secret.txt'));
  });
});
