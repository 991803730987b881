/** Tar archives built in memory for the OVA damage tests: ustar headers with a correct checksum. */
import { concat } from '../builders/ntfs/bytes.js';

export interface TarEntry {
  name: string;
  data?: Uint8Array;
  /** Typeflag; '0' by default. */
  type?: string;
  /** Size field as written, when it should lie about the data. */
  sizeField?: string;
  linkName?: string;
}

const enc = new TextEncoder();

/** One 512-byte ustar header. */
export function tarHeader(entry: TarEntry): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, at: number, length: number) => block.set(enc.encode(text).subarray(0, length), at);
  put(entry.name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(entry.sizeField ?? `${(entry.data?.length ?? 0).toString(8).padStart(11, '0')}\0`, 124, 12);
  put('14570341500\0', 136, 12);
  put(entry.type ?? '0', 156, 1);
  put(entry.linkName ?? '', 157, 100);
  put('ustar\0' + '00', 257, 8);
  put('        ', 148, 8);
  let sum = 0;
  for (const b of block) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** The archive of `entries` (data padded to 512), ended by two zero blocks. */
export function buildTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    parts.push(tarHeader(entry));
    const data = entry.data ?? new Uint8Array(0);
    parts.push(data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  parts.push(new Uint8Array(1024));
  return concat(parts);
}

/** A minimal OVF descriptor with the given References and DiskSection bodies. */
export function ovfText(references: string, disks: string, prolog = ''): string {
  return `<?xml version="1.0"?>${prolog}
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>${references}</References>
  <DiskSection><Info>disks</Info>${disks}</DiskSection>
</Envelope>`;
}
