/**
 * Files that are not VMDKs and must not be read as raw disks: another hypervisor's container (its
 * header would be read as sector 0 and `--disk` would write the container itself), a grt catalog,
 * or a text file. Recognised by their signatures and named, so the user knows what they gave.
 *
 * Sources: QEMU docs/interop/qcow2.txt, "Header" (magic "QFI\xfb", big-endian version at 4);
 * Microsoft "Virtual Hard Disk Image Format Specification" 1.0, "Hard Disk Footer Format" (cookie
 * "conectix" in the last 512 bytes, 511 in images from before Virtual PC 2004, and a copy at 0 in
 * dynamic and differencing disks; disk type at footer offset 60, big-endian); [MS-VHDX] 2.2.1 "File
 * Type Identifier" ("vhdxfile" at 0); VirtualBox VDI header (signature 0xbeda107f, little-endian,
 * at 0x40); docs/catalog-format.md §1 (the catalog preamble).
 */
import { CATALOG_MAGIC } from '../catalog/magic.js';

/** Bytes of the VHD footer; its cookie is the first 8. */
const VHD_FOOTER_BYTES = 512;
const VDI_SIGNATURE_OFFSET = 0x40;
const VDI_SIGNATURE = 0xbeda107f;
/** "QFI\xfb": QCOW (version 1) and QCOW2 (versions 2 and 3) share it. */
const QCOW_MAGIC = new Uint8Array([0x51, 0x46, 0x49, 0xfb]);
const VHD_DISK_TYPES: Record<number, string> = { 2: 'fixed', 3: 'dynamic', 4: 'differencing' };

function startsWith(bytes: Uint8Array, at: number, text: string | Uint8Array): boolean {
  const want = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return at >= 0 && at + want.length <= bytes.length && want.every((b, i) => bytes[at + i] === b);
}

function vhdFooter(bytes: Uint8Array, at: number): string | undefined {
  if (!startsWith(bytes, at, 'conectix')) return undefined;
  const type = at + 64 <= bytes.length ? new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(60, false) : undefined;
  const kind = type === undefined ? undefined : VHD_DISK_TYPES[type];
  return `a VHD image${kind ? ` (${kind})` : ''}`;
}

/**
 * What the file is, when it is something grt must not read as a raw disk; undefined otherwise.
 * `first` is the file's first bytes (at least 512 where the file has them), `last` its last 512.
 */
export function foreignFormat(first: Uint8Array, last: Uint8Array): string | undefined {
  if (startsWith(first, 0, QCOW_MAGIC)) {
    const version = first.length >= 8 ? new DataView(first.buffer, first.byteOffset).getUint32(4, false) : undefined;
    return `a QCOW${version === undefined || version >= 2 ? '2' : ''} image${version === undefined ? '' : ` (version ${version})`}`;
  }
  if (startsWith(first, 0, 'vhdxfile')) return 'a VHDX image';
  if (startsWith(first, 0, CATALOG_MAGIC)) return 'a grt catalog: use --catalog';
  const footer = vhdFooter(first, 0) ?? vhdFooter(last, last.length - VHD_FOOTER_BYTES) ?? vhdFooter(last, last.length - VHD_FOOTER_BYTES + 1);
  if (footer) return footer;
  if (first.length >= VDI_SIGNATURE_OFFSET + 4 && new DataView(first.buffer, first.byteOffset).getUint32(VDI_SIGNATURE_OFFSET, true) === VDI_SIGNATURE) {
    return 'a VirtualBox VDI image';
  }
  return undefined;
}

/**
 * True when every byte is text: no control bytes but tab, CR and LF, and valid UTF-8 (ASCII
 * included). No disk image is: partition tables and boot sectors hold zeros.
 */
export function isTextFile(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.some((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false;
  try {
    // `stream`: a character cut by the end of the sniffed bytes is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}
