/**
 * The first bytes of a catalog file (docs/catalog-format.md §1), apart from the container code:
 * telling a catalog from a disk image needs only these, not the inflate code format.ts loads.
 */

/** "GRTCATLG" */
export const CATALOG_MAGIC = new Uint8Array([0x47, 0x52, 0x54, 0x43, 0x41, 0x54, 0x4c, 0x47]);
