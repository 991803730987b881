/**
 * Files whose attributes span two MFT records: the base record gets an $ATTRIBUTE_LIST naming
 * every attribute (but itself) with the record that holds it (libfsntfs notes: attribute list
 * entry; base record reference in extension records).
 */

import { ATTR, attributeList, type AttributeListEntry, type AttributeSpec, type NonResidentValue, type Run } from './attributes.js';
import { fileReference } from './bytes.js';
import { buildRecord, encodeAttributes, RECORD_IN_USE, type RecordSpec } from './record.js';
import { compareNtfsNames } from './upcase.js';

/** The base record (with the list added) and one extension record holding `inExtension`. */
export function buildListedRecords(base: RecordSpec, extension: number, inExtension: AttributeSpec[]): [Uint8Array, Uint8Array] {
  const baseRef = fileReference(base.recordNumber, base.sequence);
  const extRef = fileReference(extension, 1);
  // Ids follow record order, and the list itself takes one in the base record.
  const placeholder: AttributeSpec = { type: ATTR.ATTRIBUTE_LIST, name: '', resident: { value: new Uint8Array(0) } };
  const entries: AttributeListEntry[] = [];
  for (const { attr, id } of encodeAttributes([...base.attributes, placeholder])) {
    if (attr.type !== ATTR.ATTRIBUTE_LIST) entries.push({ type: attr.type, name: attr.name, lowestVcn: attr.nonResident?.lowestVcn ?? 0, reference: baseRef, id });
  }
  for (const { attr, id } of encodeAttributes(inExtension)) {
    entries.push({ type: attr.type, name: attr.name, lowestVcn: attr.nonResident?.lowestVcn ?? 0, reference: extRef, id });
  }
  entries.sort((a, b) => a.type - b.type || compareNtfsNames(a.name, b.name) || a.lowestVcn - b.lowestVcn);
  const list: AttributeSpec = { type: ATTR.ATTRIBUTE_LIST, name: '', resident: { value: attributeList(entries) } };
  return [
    buildRecord({ ...base, attributes: [...base.attributes, list] }),
    buildRecord({ recordSize: base.recordSize, recordNumber: extension, sequence: 1, flags: RECORD_IN_USE, linkCount: 0, baseReference: baseRef, attributes: inExtension }),
  ];
}

/** $MFT's $DATA as two attribute extents, one per run; only the first carries the sizes. */
export function splitExtents(value: NonResidentValue, runs: Run[]): [NonResidentValue, NonResidentValue] {
  const firstLength = runs[0].length;
  const first: NonResidentValue = { ...value, runs: [runs[0]], highestVcn: firstLength - 1 };
  const second: NonResidentValue = {
    ...value,
    runs: [runs[1]],
    lowestVcn: firstLength,
    allocatedSize: 0,
    dataSize: 0,
    initializedSize: 0,
  };
  return [first, second];
}
