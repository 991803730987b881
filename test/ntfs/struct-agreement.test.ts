/**
 * The per-record fast paths (parseMftRecord, parseAttributes, parseNode read fields inline at the
 * offsets the declarations give) against the declarations' own decoders, on every NTFS volume of
 * the committed test images and of the shared fixtures when present: every record, every
 * attribute header, every directory's index root must read the same both ways.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { ByteSource } from '../../src/io/byte-source.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { openDisk } from '../../src/vmdk/disk.js';
import { listVolumes } from '../../src/volume/list-volumes.js';
import { ATTR_INDEX_ROOT, NON_RESIDENT_ATTRIBUTE, RESIDENT_ATTRIBUTE, type Attribute } from '../../src/fs/ntfs/attribute.js';
import { INDEX_ENTRY_HEADER, INDEX_NODE_HEADER, INDEX_ROOT_HEADER, parseIndexRoot } from '../../src/fs/ntfs/directory-index.js';
import { MFT_RECORD_HEADER, parseMftRecord, type MftRecord } from '../../src/fs/ntfs/mft-record.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { FIXTURES, loadGzImage } from './gz-image.js';

const IMAGES = new URL('../../test-images/', import.meta.url);

function gunzipped(path: URL): ByteSource {
  const bytes = gunzipSync(readFileSync(path));
  return new MemorySource(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
}

const split = (reference: bigint) => ({ record: Number(reference & 0xffff_ffff_ffffn), sequence: Number(reference >> 48n) });
const vcn = (value: bigint): number => (value === 0xffff_ffff_ffff_ffffn ? -1 : Number(value));

/** One attribute as the declarations read it, against what parseAttributes made of it. */
function checkAttribute(record: Uint8Array, pos: number, parsed: Attribute, where: string): number {
  const header = RESIDENT_ATTRIBUTE.decode(record, pos);
  expect({ type: parsed.type, flags: parsed.flags, id: parsed.id, nameUnits: parsed.name.length }, where).toEqual({
    type: header.type,
    flags: header.flags,
    id: header.attributeId,
    nameUnits: header.nameLength,
  });
  if (header.nonResident === 0) {
    expect(parsed.value!.byteOffset - record.byteOffset, where).toBe(pos + header.valueOffset);
    expect(parsed.value!.length, where).toBe(header.valueLength);
  } else {
    const nr = NON_RESIDENT_ATTRIBUTE.decode(record, pos);
    const extent = parsed.nonResident!;
    expect([extent.startVcn, extent.lastVcn, extent.compressionUnitExponent], where).toEqual([vcn(nr.lowestVcn), vcn(nr.highestVcn), nr.compressionUnit]);
    expect([extent.allocatedSize, extent.dataSize, extent.initializedSize], where).toEqual([nr.allocatedSize, nr.dataSize, nr.initializedSize].map(Number));
  }
  return header.length;
}

/** The root's entries walked with the declared headers: the same file references, in order. */
function checkIndexRoot(value: Uint8Array, where: string): void {
  const root = parseIndexRoot(value, where);
  const header = INDEX_ROOT_HEADER.decode(value);
  expect([root.blockSize, root.collationRule], where).toEqual([header.indexBlockSize, header.collationRule]);
  const node = INDEX_NODE_HEADER.decode(value, INDEX_ROOT_HEADER.size);
  const files: { record: number; sequence: number }[] = [];
  for (let pos = INDEX_ROOT_HEADER.size + node.entriesOffset; ; ) {
    const entry = INDEX_ENTRY_HEADER.decode(value, pos);
    if ((entry.flags & 2) !== 0) break;
    files.push(split(entry.fileReference));
    pos += entry.entryLength;
  }
  expect(root.entries.map((e) => e.file), where).toEqual(files);
}

function checkRecord(raw: Uint8Array, recordNumber: number, clusterCount: number, where: string): MftRecord | null {
  const bytes = raw.slice();
  let parsed: MftRecord;
  try {
    parsed = parseMftRecord(bytes, recordNumber, 0, clusterCount);
  } catch (error) {
    if (error instanceof GrtError) return null; // free or damaged: the fast path has no fields to compare
    throw error;
  }
  const header = MFT_RECORD_HEADER.decode(bytes);
  expect({ sequence: parsed.sequence, flags: parsed.flags, base: parsed.base }, where).toEqual({ sequence: header.sequenceNumber, flags: header.flags, base: split(header.baseRecord) });
  let pos = header.firstAttributeOffset;
  for (const [i, attribute] of parsed.attributes.entries()) {
    pos += checkAttribute(bytes, pos, attribute, `${where} attribute ${i}`);
    if (attribute.type === ATTR_INDEX_ROOT && attribute.name === '$I30' && attribute.value) checkIndexRoot(attribute.value, `${where} $INDEX_ROOT`);
  }
  return parsed;
}

/** Every MFT record of the NTFS volume on `source`; the number of records both readings parsed. */
async function checkVolume(source: ByteSource, where: string): Promise<number> {
  const volume = await openNtfs(source);
  const { recordSize, clusterCount } = volume.mft.boot;
  const raw = new Uint8Array(volume.mft.recordCount * recordSize);
  await volume.mft.readRecordsInto(0, raw);
  let checked = 0;
  for (let n = 0; n < volume.mft.recordCount; n++) {
    if (checkRecord(raw.subarray(n * recordSize, (n + 1) * recordSize), n, clusterCount, `${where} record ${n}`)) checked++;
  }
  return checked;
}

async function checkDisk(disk: ByteSource, where: string): Promise<number> {
  let checked = 0;
  for (const volume of (await listVolumes(disk)).volumes) {
    if (volume.fs === 'ntfs') checked += await checkVolume(volume.source, `${where} volume ${volume.index}`);
  }
  return checked;
}

describe('fast paths and declared structures agree on real volumes', () => {
  it('test-images/ntfs-unit', async () => {
    for (const name of ['n512', 'n4k']) {
      expect(await checkVolume(gunzipped(new URL(`ntfs-unit/${name}.img.gz`, IMAGES)), name)).toBeGreaterThan(16);
    }
  });

  it('test-images/partitions', async () => {
    let checked = 0;
    for (const name of readdirSync(new URL('partitions/', IMAGES)).filter((f) => f.endsWith('.img.gz'))) {
      checked += await checkDisk(gunzipped(new URL(`partitions/${name}`, IMAGES)), name);
    }
    expect(checked).toBeGreaterThan(16);
  });

  it('test-images/ntfs and test-images/qemu (through the VMDK reader)', async () => {
    let checked = 0;
    for (const folder of ['ntfs', 'qemu']) {
      const descriptors = readdirSync(new URL(`${folder}/`, IMAGES)).filter((f) => f.endsWith('.vmdk') && !/-(s|f)\d{3}\.vmdk$|-flat\.vmdk$/.test(f));
      for (const name of descriptors) {
        const disk = await openDisk(new URL(`${folder}/${name}`, IMAGES).pathname);
        try {
          checked += await checkDisk(disk, `${folder}/${name}`);
        } finally {
          await disk.close();
        }
      }
    }
    expect(checked).toBeGreaterThan(16);
  }, 60_000);

  const fixtures = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith('.raw.gz')) : [];
  it.skipIf(fixtures.length === 0)('the shared fixtures (skipped when ../shared/fixtures is absent)', async () => {
    for (const name of fixtures) expect(await checkDisk(loadGzImage(`${FIXTURES}${name}`), name), name).toBeGreaterThan(16);
  }, 300_000);
});
