/**
 * $STANDARD_INFORMATION (type 0x10): the times and FILE_ATTRIBUTE_* flags Windows shows.
 *
 * Sources: libyal libfsntfs "Standard information attribute" notes; [MS-FSCC] 2.6 for the flags.
 *   0 creation   8 last modification   16 MFT entry modification   24 last access (FILETIMEs)
 *   32 file attribute flags (u32)
 * NOTE: these are the times Explorer shows; $FILE_NAME carries a second set that is updated
 * differently (and is what timestomping tools often forget) — grt reports these.
 */
import { GrtError } from '../../errors.js';
import type { EntryTimes } from '../file-system.js';
import { u32le } from '../../util/little-endian.js';
import { filetimeToNs } from '../../util/time.js';

const MIN_LENGTH = 36;
const TIMES_BYTES = 32;

export interface StandardInformation {
  times: EntryTimes;
  attributes: number;
}

/** `byteOffset`: where the attribute lies in the volume, for errors. */
export function parseStandardInformation(value: Uint8Array, structure: string, byteOffset?: number): StandardInformation {
  if (value.length < MIN_LENGTH) {
    throw new GrtError('BAD_ATTRIBUTE', '$STANDARD_INFORMATION too short', { structure, offset: byteOffset, space: 'volume', expected: MIN_LENGTH, actual: value.length });
  }
  // One DataView over the four FILETIMEs (a bigint composed of two u32 reads costs four bigints per time).
  const timeView = new DataView(value.buffer, value.byteOffset, TIMES_BYTES);
  return {
    times: {
      btime: filetimeToNs(timeView.getBigUint64(0, true)),
      mtime: filetimeToNs(timeView.getBigUint64(8, true)),
      ctime: filetimeToNs(timeView.getBigUint64(16, true)),
      atime: filetimeToNs(timeView.getBigUint64(24, true)),
    },
    attributes: u32le(value, 32),
  };
}
