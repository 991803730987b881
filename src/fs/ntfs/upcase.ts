/**
 * $UpCase (MFT record 10): the volume's own table of 65536 UTF-16 code units, mapping each unit
 * to its upper-case form. NTFS compares names by upcasing unit by unit through this table, so a
 * lookup must do the same (not String.prototype.toUpperCase, whose Unicode rules differ).
 */
import { GrtError } from '../../errors.js';
import { upcaseKey } from '../name-order.js';

export const UPCASE_BYTES = 65536 * 2;

export class UpcaseTable {
  /** `units[u]` is the upper-case form of UTF-16 code unit `u` (65536 entries). */
  constructor(readonly units: Uint16Array) {}

  /** `byteOffset`: the volume offset of $UpCase's $DATA attribute header, for error offsets. */
  static fromBytes(bytes: Uint8Array, byteOffset?: number): UpcaseTable {
    if (bytes.length < UPCASE_BYTES) {
      throw new GrtError('BAD_ATTRIBUTE', '$UpCase shorter than 65536 entries', { structure: '$UpCase', offset: byteOffset, space: 'volume', expected: UPCASE_BYTES, actual: bytes.length });
    }
    const table = new Uint16Array(65536);
    const view = new DataView(bytes.buffer, bytes.byteOffset, UPCASE_BYTES);
    for (let i = 0; i < 65536; i++) table[i] = view.getUint16(i * 2, true);
    return new UpcaseTable(table);
  }

  /** Identity table below 'a'..'z' only: a fallback when $UpCase is unreadable (ASCII folding). */
  static ascii(): UpcaseTable {
    const table = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = i >= 0x61 && i <= 0x7a ? i - 0x20 : i;
    return new UpcaseTable(table);
  }

  /** The key two names share exactly when NTFS considers them equal. */
  key(name: string): string {
    return upcaseKey(this.units, name);
  }
}
