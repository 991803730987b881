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
import type { EntryTimes } from '../entry.js';
import { u32le } from './attribute.js';

const MIN_LENGTH = 36;

export interface StandardInformation {
  times: EntryTimes;
  attributes: number;
}

export function parseStandardInformation(value: Uint8Array, structure: string): StandardInformation {
  if (value.length < MIN_LENGTH) {
    throw new GrtError('BAD_ATTRIBUTE', '$STANDARD_INFORMATION too short', { structure, expected: MIN_LENGTH, actual: value.length });
  }
  // Read from the bytes, no DataView: this runs for every record of a scan.
  return {
    times: { btime: filetimeAt(value, 0), mtime: filetimeAt(value, 8), ctime: filetimeAt(value, 16), atime: filetimeAt(value, 24) },
    attributes: u32le(value, 32),
  };
}

/** The u64 FILETIME at `at`. */
function filetimeAt(value: Uint8Array, at: number): bigint {
  return (BigInt(u32le(value, at + 4)) << 32n) | BigInt(u32le(value, at));
}
