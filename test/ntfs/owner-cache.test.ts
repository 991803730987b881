/**
 * The catalog scan's owner cache (fs/ntfs/owner-cache.ts): owners from a scan of the ntfs-3g
 * security volume equal the uncached per-file reads, and on synthetic files each distinct
 * descriptor is read once, keyed by what decides it (own bytes, else security id), within its bound.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import type { EntrySecurity } from '../../src/fs/file-system.js';
import { ATTR_STANDARD_INFORMATION, type Attribute } from '../../src/fs/ntfs/attribute.js';
import type { NtfsFile } from '../../src/fs/ntfs/mft.js';
import { MAX_CACHED_DESCRIPTORS, OwnerCache } from '../../src/fs/ntfs/owner-cache.js';
import { ATTR_SECURITY_DESCRIPTOR } from '../../src/fs/ntfs/security-file.js';
import { SI_SECURITY_ID_OFFSET, SI_V3_LENGTH, type FileSecurity } from '../../src/fs/ntfs/security-secure.js';
import { openNtfs } from '../../src/fs/ntfs/volume.js';
import { MemorySource } from '../../src/io/memory-source.js';

const DIR = new URL('../../test-images/security/', import.meta.url).pathname;

function attribute(type: number, value: Uint8Array, flags = 0): Attribute {
  return { type, name: '', flags, id: 0, recordNumber: 0, value, nonResident: null };
}

/** A file with its own descriptor `own`, or with `securityId` in its $STANDARD_INFORMATION. */
function fileWith(own: Uint8Array | undefined, securityId = 0, flags = 0): NtfsFile {
  const standard = new Uint8Array(SI_V3_LENGTH);
  new DataView(standard.buffer).setUint32(SI_SECURITY_ID_OFFSET, securityId, true);
  const attributes = [attribute(ATTR_STANDARD_INFORMATION, standard)];
  if (own) attributes.push(attribute(ATTR_SECURITY_DESCRIPTOR, own, flags));
  return { record: { recordNumber: 0, sequence: 1, flags: 1, inUse: true, base: { record: 0, sequence: 0 }, attributes }, attributes, warnings: [] };
}

/** A read that names the owner after what it was given, counting calls. */
function countingRead(): { read: (file: NtfsFile) => Promise<FileSecurity>; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    read: async (file) => {
      calls++;
      const own = file.attributes.find((a) => a.type === ATTR_SECURITY_DESCRIPTOR);
      const id = new DataView(file.attributes[0]!.value!.buffer).getUint32(SI_SECURITY_ID_OFFSET, true);
      const owner = own ? `own-${Buffer.from(own.value!).toString('hex')}` : `id-${id}`;
      return { info: { control: 0, owner, group: 'S-1-5-18', dacl: [] }, raw: new Uint8Array(0) };
    },
  };
}

describe('owner cache', () => {
  it('gives a scan the owners and groups the uncached reads give, on the ntfs-3g security volume', async () => {
    const fs = await openNtfs(new MemorySource(new Uint8Array(gunzipSync(readFileSync(`${DIR}security.img.gz`)))));
    const scanned = new Map<number, EntrySecurity | undefined>();
    await fs.scanRecords({ all: true, deleted: true, layouts: true }, ({ record, body }) => {
      scanned.set(record, body.security);
    });
    let owned = 0;
    for (const [record, security] of scanned) {
      const live = await fs.readSecurity(await fs.entryByRecord(record));
      const expected = live && { ...(live.owner !== undefined && { owner: live.owner }), ...(live.group !== undefined && { group: live.group }) };
      expect(security, `record ${record}`).toEqual(expected);
      if (security?.owner !== undefined) owned++;
    }
    expect(owned).toBeGreaterThan(10);
  });

  it('reads each distinct descriptor once and answers as the read does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ own: fc.option(fc.uint8Array({ minLength: 1, maxLength: 3, max: 2 }), { nil: undefined }), id: fc.integer({ min: 0, max: 3 }) }), { maxLength: 40 }), async (files) => {
        const { read, calls } = countingRead();
        const cache = new OwnerCache(read);
        for (const { own, id } of files) {
          const file = fileWith(own, id);
          expect(await cache.ownersOf(file)).toEqual({ owner: (await read(file)).info.owner, group: 'S-1-5-18' });
        }
        const distinct = new Set(files.map(({ own, id }) => (own ? `own-${Buffer.from(own).toString('hex')}` : `id-${id}`)));
        expect(calls()).toBe(distinct.size + files.length);
      }),
    );
  });

  it('answers a descriptor met before without a promise', async () => {
    const cache = new OwnerCache(countingRead().read);
    expect(cache.ownersOf(fileWith(undefined, 7))).toBeInstanceOf(Promise);
    await cache.ownersOf(fileWith(undefined, 7));
    expect(cache.ownersOf(fileWith(undefined, 7))).toEqual({ owner: 'id-7', group: 'S-1-5-18' });
    await cache.ownersOf(fileWith(Uint8Array.of(1, 2)));
    expect(cache.ownersOf(fileWith(Uint8Array.of(1, 2)))).toEqual({ owner: 'own-0102', group: 'S-1-5-18' });
  });

  it('keeps no more than MAX_CACHED_DESCRIPTORS, keys no flagged descriptor and no error', async () => {
    const { read, calls } = countingRead();
    const cache = new OwnerCache(read);
    for (let id = 1; id <= MAX_CACHED_DESCRIPTORS + 1; id++) await cache.ownersOf(fileWith(undefined, id));
    const before = calls();
    await cache.ownersOf(fileWith(undefined, MAX_CACHED_DESCRIPTORS + 1));
    await cache.ownersOf(fileWith(undefined, 1));
    expect(calls() - before).toBe(1); // the one past the bound is read again
    await cache.ownersOf(fileWith(Uint8Array.of(9), 0, 0x4000));
    await cache.ownersOf(fileWith(Uint8Array.of(9), 0, 0x4000));
    expect(calls() - before).toBe(3);

    let failures = 0;
    const failing = new OwnerCache(async () => {
      failures++;
      throw new GrtError('BAD_ATTRIBUTE', 'damaged descriptor');
    });
    await expect(failing.ownersOf(fileWith(Uint8Array.of(1)))).rejects.toThrow(GrtError);
    await expect(failing.ownersOf(fileWith(Uint8Array.of(1)))).rejects.toThrow(GrtError);
    expect(failures).toBe(2);
  });
});
