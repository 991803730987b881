/**
 * What a synthetic volume's records hold besides data: $STANDARD_INFORMATION, one $FILE_NAME per
 * link, and the directory index keys built from them. Sizes come from the streams laid out so far,
 * so every value is computed when asked, never cached.
 */

import { ATTR, fileName, standardInformation, type AttributeSpec } from './attributes.js';
import { align, fileReference } from './bytes.js';
import { buildIndex, type IndexKey } from './index-btree.js';
import { encodeAttributes, firstAttributeOffset } from './record.js';
import type { Geometry } from './system-layout.js';
import type { Link, Node } from './tree.js';
import { compareNtfsNames } from './upcase.js';

const FILE_NAME_INDEX_PRESENT = 0x10000000;
/** Room the attribute header and fixed part of $INDEX_ROOT take in a directory's record. */
const INDEX_ROOT_OVERHEAD = 0x40;
/** Bytes INDEX_ALLOCATION (one or two runs) and $BITMAP take in a large directory's record. */
const LARGE_INDEX_ATTRIBUTES = 0x100;

export class RecordShapes {
  constructor(
    private readonly g: Geometry,
    private readonly allNodes: Node[],
  ) {}

  /** $STANDARD_INFORMATION and the $FILE_NAMEs: what every record starts with. */
  baseAttributes(n: Node): AttributeSpec[] {
    return [
      { type: ATTR.STANDARD_INFORMATION, name: '', resident: { value: standardInformation(n.times, n.fileAttributes) } },
      ...n.links.map((link) => ({ type: ATTR.FILE_NAME, name: '', resident: { value: this.fileNameValue(n, link), indexed: true } })),
    ];
  }

  attributesBytes(attrs: AttributeSpec[]): number {
    return encodeAttributes(attrs).reduce((sum, a) => sum + a.bytes.length, 0);
  }

  /** A directory's index, sized to what is left of its record (the root alone, or root + blocks). */
  indexOf(dir: Node): ReturnType<typeof buildIndex> {
    const entries = this.entriesOf(dir);
    const fixed = firstAttributeOffset(this.g.recordSize) + 8 + this.attributesBytes(this.baseAttributes(dir)) + INDEX_ROOT_OVERHEAD;
    const small = buildIndex(entries, this.g.recordSize - fixed, this.g);
    if (small.blocks.length === 0) return small;
    return buildIndex(entries, this.g.recordSize - fixed - LARGE_INDEX_ATTRIBUTES, this.g);
  }

  private fileNameValue(n: Node, link: Link): Uint8Array {
    const [allocatedSize, dataSize] = unnamedSizes(n);
    return fileName({
      parentReference: fileReference(link.dir.record, link.dir.sequence),
      times: n.times,
      allocatedSize,
      dataSize,
      fileAttributes: n.fileAttributes | (n.isDir ? FILE_NAME_INDEX_PRESENT : 0),
      name: link.name,
      namespace: link.namespace,
    });
  }

  private entriesOf(dir: Node): IndexKey[] {
    const entries: { name: string; key: IndexKey }[] = [];
    for (const n of this.allNodes) {
      for (const link of n.links) {
        if (link.dir === dir) entries.push({ name: link.name, key: { reference: fileReference(n.record, n.sequence), key: this.fileNameValue(n, link) } });
      }
    }
    entries.sort((a, b) => compareNtfsNames(a.name, b.name));
    return entries.map((e) => e.key);
  }
}

/** Allocated and data size of a file's unnamed stream, as its $FILE_NAME repeats them. */
function unnamedSizes(n: Node): [number, number] {
  const layout = n.streams.find((s) => s.name === '')?.layout;
  if (!layout || n.isDir) return [0, 0];
  if (layout.kind === 'resident') return [align(layout.value.length, 8), layout.value.length];
  return [layout.value.allocatedSize, layout.value.dataSize];
}
