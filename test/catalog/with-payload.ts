/** Catalog damage that passes the CRC check: a section's payload edited and its header made valid again. */
import { encodeSection, readSectionHeaders, readSectionPayload } from '../../src/catalog/format.js';

/** The file with one section's payload replaced and its header (CRC, lengths) made valid again. */
export function withPayload(bytes: Uint8Array, sectionIndex: number, edit: (payload: Uint8Array) => Uint8Array): Uint8Array {
  const headers = readSectionHeaders(bytes);
  const h = headers[sectionIndex % headers.length]!;
  const replaced = encodeSection(h.type, edit(readSectionPayload(bytes, h).slice()));
  const end = h.payloadOffset + h.storedLength;
  const out = new Uint8Array(h.offset + replaced.length + bytes.length - end);
  out.set(bytes.subarray(0, h.offset), 0);
  out.set(replaced, h.offset);
  out.set(bytes.subarray(end), h.offset + replaced.length);
  return out;
}
