/**
 * Test-image surgery: make a name an orphan (or part of a cycle) by rewriting the parent reference
 * of its $FILE_NAME attributes in place. The directory indexes are left as they were, so only
 * listings built from parent references (walk, scan, catalogs) see the move.
 */
import { GrtError } from '../../../src/errors.js';
import { ATTR_FILE_NAME } from '../../../src/fs/ntfs/attribute.js';
import type { NtfsVolume } from '../../../src/fs/ntfs/volume.js';

/**
 * Point every $FILE_NAME parent reference of MFT record `recordNumber` in `image` (the bytes
 * `volume` was opened from, fixups applied on disk as built) at `parentRecord`. When that record
 * exists its sequence number is copied too, so the reference attaches; a record number past the
 * MFT leaves the name with no parent at all.
 */
export async function reparentRecord(volume: NtfsVolume, image: Uint8Array, recordNumber: number, parentRecord: number): Promise<void> {
  let parentSequence: number | undefined;
  try {
    parentSequence = (await volume.mft.readRecord(parentRecord)).sequence;
  } catch (error) {
    if (!(error instanceof GrtError)) throw error;
  }
  const record = volume.mft.recordOffset(recordNumber);
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let at = record + view.getUint16(record + 20, true); view.getUint32(at, true) !== 0xffffffff; at += view.getUint32(at + 4, true)) {
    if (view.getUint32(at, true) !== ATTR_FILE_NAME) continue;
    const value = at + view.getUint16(at + 20, true);
    view.setUint32(value, parentRecord, true);
    if (parentSequence !== undefined) view.setUint16(value + 6, parentSequence, true);
  }
}
