/**
 * Cross-linked run lists are damage, never amplified output: a stream whose runs map the same
 * clusters twice, claim more than the volume or the attribute's allocated size, or reach into $MFT
 * or the boot sector is refused with BAD_RUNLIST (a warning on the entry in a scan).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { ATTR_DATA, type Attribute } from '../../src/fs/ntfs/attribute.js';
import { buildLayout } from '../../src/fs/ntfs/data-stream.js';
import { RunGuard } from '../../src/fs/ntfs/run-guard.js';
import { openNtfs, type NtfsVolume } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { buildNtfsVolume, type NtfsSpec } from '../builders/ntfs-builder.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
const CLUSTER = 4096;

const SPEC: NtfsSpec = {
  clusterSize: CLUSTER,
  root: {
    kind: 'dir',
    name: '',
    children: [
      { kind: 'file', name: 'plain.bin', data: bytes(3 * CLUSTER, 1) },
      { kind: 'file', name: 'frag.bin', data: bytes(6 * CLUSTER, 2), fragmented: true },
      { kind: 'file', name: 'other.bin', data: bytes(2 * CLUSTER, 3) },
    ],
  },
};

async function rejectsRunlist(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GrtError);
  expect((error as GrtError).code).toBe('BAD_RUNLIST');
  expect((error as GrtError).message).toMatch(message);
}

/**
 * The run list of the unnamed $DATA of `record` in `image`, as (offset of each run's LCN delta
 * field, its width) pairs, so a test can rewrite the LCNs in place.
 */
function dataRunFields(volume: NtfsVolume, image: Uint8Array, record: number): { at: number; width: number }[] {
  const base = volume.mft.recordOffset(record);
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let at = base + view.getUint16(base + 20, true); view.getUint32(at, true) !== 0xffffffff; at += view.getUint32(at + 4, true)) {
    if (view.getUint32(at, true) !== ATTR_DATA || image[at + 8] === 0 || image[at + 9] !== 0) continue;
    const fields: { at: number; width: number }[] = [];
    for (let pos = at + view.getUint16(at + 32, true); image[pos] !== 0; ) {
      const header = image[pos]!;
      const lengthSize = header & 0x0f;
      const width = header >> 4;
      fields.push({ at: pos + 1 + lengthSize, width });
      pos += 1 + lengthSize + width;
    }
    return fields;
  }
  throw new Error(`no non-resident $DATA in record ${record}`);
}

function writeSigned(image: Uint8Array, at: number, width: number, value: number): void {
  for (let i = 0; i < width; i++) image[at + i] = Math.floor((value < 0 ? 256 ** width + value : value) / 256 ** i) & 0xff;
}

describe('cross-linked runs', () => {
  it('168 runs over the whole volume: refused, not a 168-volume stream', () => {
    const clusters = 160;
    const runs = Array.from({ length: 168 }, (_, i) => ({ vcn: i * clusters, lcn: 0, clusterCount: clusters }));
    const size = 168 * clusters * CLUSTER;
    const extent: Attribute = {
      type: ATTR_DATA, name: '', flags: 0, id: 0, recordNumber: 40, value: null,
      nonResident: { startVcn: 0, lastVcn: 168 * clusters - 1, compressionUnitExponent: 0, allocatedSize: size, dataSize: size, initializedSize: size, runs },
    };
    const layout = buildLayout([extent], CLUSTER, 'MFT record 40');
    const guard = new RunGuard(clusters * CLUSTER, CLUSTER, [{ streamOffset: 0, sourceOffset: 16 * CLUSTER, length: 16 * CLUSTER }]);
    expect(() => guard.check(layout, 40, 'MFT record 40')).toThrow(/more clusters than the volume holds/);
    // The same runs, disjoint, fit a volume big enough: a real fragmented file passes.
    const disjoint = runs.map((r, i) => ({ ...r, lcn: 200 + i * clusters }));
    const big = new RunGuard(1000 * clusters * CLUSTER, CLUSTER, []);
    expect(() => big.check(buildLayout([{ ...extent, nonResident: { ...extent.nonResident!, runs: disjoint } }], CLUSTER, 's'), 40, 's')).not.toThrow();
    expect(() => big.check(layout, 40, 's')).toThrow(/same clusters twice/);
  });

  it('runs past the attribute\'s own allocated size are refused', () => {
    const extent: Attribute = {
      type: ATTR_DATA, name: '', flags: 0, id: 0, recordNumber: 40, value: null,
      nonResident: { startVcn: 0, lastVcn: 9, compressionUnitExponent: 0, allocatedSize: 2 * CLUSTER, dataSize: 2 * CLUSTER, initializedSize: 2 * CLUSTER, runs: [{ vcn: 0, lcn: 30, clusterCount: 10 }] },
    };
    expect(() => buildLayout([extent], CLUSTER, 'MFT record 40')).toThrow(/more than the allocated size/);
  });

  it('a file whose runs repeat its own clusters: read and layout refused, a warning in the catalog scan', async () => {
    const built = buildNtfsVolume(SPEC);
    const clean = await openNtfs(new MemorySource(built.image));
    const record = built.records.get('/frag.bin')!;
    const fields = dataRunFields(clean, built.image, record);
    expect(fields.length).toBeGreaterThan(1);
    for (const field of fields.slice(1)) writeSigned(built.image, field.at, field.width, 0); // every run at the first run's LCN
    const volume = await openNtfs(new MemorySource(built.image));
    await rejectsRunlist(volume.openStream('/frag.bin'), /same clusters twice/);
    const scanned = [];
    for await (const entry of volume.scan({ layouts: true })) scanned.push(entry);
    const frag = scanned.find((e) => e.path === '/frag.bin')!;
    expect(frag.layouts).toEqual([]);
    expect(frag.warnings.map((w) => w.code)).toContain('BAD_RUNLIST');
    // The other files still read.
    const plain = await volume.openStream('/plain.bin');
    expect(await plain.read(0, plain.size)).toEqual(bytes(3 * CLUSTER, 1));
  });

  it('a file whose run points into $MFT or at the boot sector is refused', async () => {
    for (const target of ['mft', 'boot'] as const) {
      const built = buildNtfsVolume(SPEC);
      const clean = await openNtfs(new MemorySource(built.image));
      const record = built.records.get('/plain.bin')!;
      const [first] = dataRunFields(clean, built.image, record);
      writeSigned(built.image, first!.at, first!.width, target === 'mft' ? built.mftLcn : 0);
      const volume = await openNtfs(new MemorySource(built.image));
      await rejectsRunlist(volume.streamLayout('/plain.bin'), target === 'mft' ? /overlap \$MFT/ : /overlap the boot sector/);
      await rejectsRunlist(volume.openStream('/plain.bin'), /overlap/);
    }
  });
});

describe('RunGuard, over arbitrary run maps', () => {
  const VOLUME_CLUSTERS = 4096;
  const MFT = { start: 100, length: 50 };
  /** Runs at (lcn, count) in stream order: holes (lcn null) between them as generated. */
  const layoutOf = (runs: { lcn: number | null; count: number }[]) => {
    let streamOffset = 0;
    const out = runs.map((r) => {
      const run = { streamOffset, sourceOffset: r.lcn === null ? null : r.lcn * CLUSTER, length: r.count * CLUSTER };
      streamOffset += run.length;
      return run;
    });
    return { name: '', size: streamOffset, initializedSize: streamOffset, encoding: 'raw' as const, runs: out };
  };
  const guard = new RunGuard(VOLUME_CLUSTERS * CLUSTER, CLUSTER, [{ streamOffset: 0, sourceOffset: MFT.start * CLUSTER, length: MFT.length * CLUSTER }]);
  const arbRuns = fc.array(fc.record({ lcn: fc.option(fc.integer({ min: 0, max: VOLUME_CLUSTERS - 1 }), { nil: null }), count: fc.integer({ min: 1, max: 64 }) }), { minLength: 1, maxLength: 12 });

  it('refuses exactly the maps with a cluster mapped twice, in $MFT or cluster 0', () => {
    fc.assert(
      fc.property(arbRuns, (runs) => {
        const owner = new Map<number, number>();
        let bad = false;
        runs.forEach((r, i) => {
          if (r.lcn === null) return;
          for (let c = r.lcn; c < r.lcn + r.count; c++) {
            if (owner.has(c) || c === 0 || (c >= MFT.start && c < MFT.start + MFT.length)) bad = true;
            owner.set(c, i);
          }
        });
        const refused = (() => {
          try {
            guard.check(layoutOf(runs), 64, 's');
            return false;
          } catch (error) {
            expect((error as GrtError).code).toBe('BAD_RUNLIST');
            return true;
          }
        })();
        expect(refused).toBe(bad);
        // $MFT's own record may map the $MFT clusters and cluster 0, never a cluster twice.
        expect(() => guard.check(layoutOf(runs), 0, 's')).not.toThrow(/overlap/);
      }),
    );
  });
});
