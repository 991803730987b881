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

const MIN_LENGTH = 36;

export interface StandardInformation {
  times: EntryTimes;
  attributes: number;
}

export function parseStandardInformation(value: Uint8Array, structure: string): StandardInformation {
  if (value.length < MIN_LENGTH) {
    throw new GrtError('BAD_ATTRIBUTE', '$STANDARD_INFORMATION too short', { structure, expected: MIN_LENGTH, actual: value.length });
  }
  // NOTE: a DataView here on purpose: getBigUint64 makes one bigint per time, where composing it
  // from two u32 reads made four (measured: ~530 against ~230 bytes allocated per record).
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return {
    times: {
      btime: view.getBigUint64(0, true),
      mtime: view.getBigUint64(8, true),
      ctime: view.getBigUint64(16, true),
      atime: view.getBigUint64(24, true),
    },
    attributes: view.getUint32(32, true),
  };
}
