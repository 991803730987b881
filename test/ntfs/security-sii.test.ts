/**
 * $Secure:$SII (security-sii.ts): a descriptor is found through the index, reading a few KiB
 * rather than $SDS whole; a damaged index falls back to the $SDS pass with a warning; hostile
 * index bytes give only GrtError.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { ATTR_INDEX_ROOT } from '../../src/fs/ntfs/attribute.js';
import { SII_INDEX_NAME, SiiIndex } from '../../src/fs/ntfs/security-sii.js';
import { SECURE_RECORD } from '../../src/fs/ntfs/security-secure.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';
import { CountingSource } from '../helpers/counting-source.js';

const DIR = new URL('../../test-images/security/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { files: { path: string; ntfs_acl: string; securityId: number }[] };
const imageBytes = (): Uint8Array => new Uint8Array(gunzipSync(readFileSync(`${DIR}security.img.gz`)));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

async function siiRoot(bytes: Uint8Array): Promise<Uint8Array> {
  const fs = await openNtfs(new MemorySource(bytes));
  const secure = await fs.mft.loadFile(SECURE_RECORD);
  return secure.attributes.find((a) => a.type === ATTR_INDEX_ROOT && a.name === SII_INDEX_NAME)!.value!.slice();
}

describe('$Secure:$SII', () => {
  it('finds every id of the volume, and a descriptor lookup reads a few KiB, not $SDS whole', async () => {
    const source = new CountingSource(new MemorySource(imageBytes()));
    const fs = await openNtfs(source);
    for (const row of manifest.files) {
      const entry = await fs.stat(row.path);
      source.reads = [];
      expect(hex((await fs.security(entry))!.raw), row.path).toBe(row.ntfs_acl);
      // $Secure's record, an INDX block and the entry, through the metadata cache; the $SDS pass
      // alone reads a 256 KiB block.
      expect(source.bytesRead, row.path).toBeLessThan(192 * 1024);
    }
    expect(fs.warnings).toEqual([]);
  });

  it('falls back to the $SDS pass, with a warning, when the $SII root is damaged', async () => {
    const bytes = imageBytes();
    const root = await siiRoot(bytes);
    const at = Buffer.from(bytes).indexOf(Buffer.from(root.subarray(0, 32)));
    expect(at).toBeGreaterThan(0);
    bytes[at + 4] = 0x01; // collation rule: no longer ordered by id
    const fs = await openNtfs(new MemorySource(bytes));
    for (const row of manifest.files) expect(hex((await fs.security(row.path))!.raw), row.path).toBe(row.ntfs_acl);
    expect(fs.warnings.find((w) => w.message.includes('$SII'))).toMatchObject({ offset: at + 4 });
  });

  it('locates sub-node damage at the VCN field that names the node, and a bad block where it lies', async () => {
    // A root of one last entry whose sub-node is VCN `vcn`: header (16), node header (16), entry (24).
    const rootNaming = (vcn: number): Uint8Array => {
      const value = new Uint8Array(56);
      const view = new DataView(value.buffer);
      view.setUint32(4, 0x10, true); // COLLATION_NTOFS_ULONG
      view.setUint32(8, 4096, true);
      view.setUint32(16, 16, true); // entries start after the node header
      view.setUint32(20, 40, true);
      view.setUint32(24, 40, true);
      view.setUint16(32 + 8, 24, true); // entry length
      view.setUint16(32 + 12, 3, true); // sub-node, last
      view.setBigUint64(48, BigInt(vcn), true);
      return value;
    };
    const outside = await SiiIndex.open(rootNaming(5), 9000, undefined, 4096, '$SII').find(1).catch((e: unknown) => e);
    expect(outside).toMatchObject({ code: 'BAD_INDEX', offset: 9048, space: 'volume', actual: 5 });
    const allocation = { stream: new MemorySource(new Uint8Array(8192)), volumeOffset: (at: number) => 1_000_000 + at };
    const notIndx = await SiiIndex.open(rootNaming(1), 9000, allocation, 4096, '$SII').find(1).catch((e: unknown) => e);
    expect(notIndx).toMatchObject({ code: 'BAD_INDEX', message: expect.stringContaining('INDX'), offset: 1_004_096, space: 'volume' });
  });

  it('gives only GrtError or an answer for hostile index roots', async () => {
    const root = await siiRoot(imageBytes());
    fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat(root.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(), async (edits, id) => {
      const damaged = root.slice();
      for (const [offset, value] of edits) damaged[offset] = value;
      try {
        await SiiIndex.open(damaged, undefined, undefined, 4096, '$SII').find(id % 0x200);
      } catch (error) {
        expect(error).toBeInstanceOf(GrtError);
      }
    }), { numRuns: 300, seed: 18 });
  });
});
