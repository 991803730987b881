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
/** Scratch for one record's times (parsing is synchronous). */
const timeBytes = new Uint8Array(TIMES_BYTES);
const timeView = new DataView(timeBytes.buffer);

export interface StandardInformation {
  times: EntryTimes;
  attributes: number;
}

/** `byteOffset`: where the attribute lies in the volume, for errors. */
export function parseStandardInformation(value: Uint8Array, structure: string, byteOffset?: number): StandardInformation {
  if (value.length < MIN_LENGTH) {
    throw new GrtError('BAD_ATTRIBUTE', '$STANDARD_INFORMATION too short', { structure, offset: byteOffset, space: 'volume', expected: MIN_LENGTH, actual: value.length });
  }
  // The four FILETIMEs are copied into a fixed scratch block and read from its one DataView: a
  // DataView per record (a slow constructor) or a bigint composed of two u32 reads (four bigints
  // per time) each cost more than the copy (measured on a 100k-file scan).
  for (let i = 0; i < TIMES_BYTES; i++) timeBytes[i] = value[i]!;
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
