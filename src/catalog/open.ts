/**
 * Reading a catalog's structure (docs/catalog-format.md §3.1, §4, §5, §7): every section header is
 * checked, the END section gives the totals and where each FILES chunk is, and only the NAMES
 * chunks are inflated, into flat per-volume arrays. FILES chunks stay compressed until asked for.
 */
import type { NameRule } from '../fs/file-system.js';
import { decodeUpcase } from './upcase-section.js';
import { GrtError } from '../errors.js';
import { decodeBinding, decodeVolume, type CatalogBinding, type CatalogVolume } from './binding.js';
import { decodeNames, newNameTable, readFilesHeader, readNamesHeader, type ChunkHeader, type NameTable } from './decode.js';
import { checkPreamble, DEFLATE_MAX_RATIO, readSectionHeaders, readSectionPayload, SectionType, type SectionHeader } from './format.js';
import { ByteReader } from './varint.js';

/** Flags, parent distance, shared prefix and name length: a name record is at least 4 bytes. */
const MIN_NAME_RECORD_BYTES = 4;
/** Volumes in one catalog: a disk has at most a few hundred partitions. */
const MAX_VOLUMES = 4096;

/** A FILES chunk as a volume holds it: its section, and its files [first, first + count). */
export interface FileChunk {
  header: SectionHeader;
  first: number;
  count: number;
}

/** What a volume's VOLUME and UPCASE sections and the END section say of it. */
export interface VolumeHead {
  info: CatalogVolume;
  /** FILES chunk refs in file order. */
  chunks: FileChunk[];
  /** How the volume compares names (an UPCASE section for NTFS); absent in catalogs of format 1.0. */
  rule?: NameRule;
  /** The catalog's format major version (how FILES records are laid out). */
  major: number;
  /** Where the VOLUME section is: the volume's NAMES chunks come after it. */
  sectionOffset: number;
}

/** One volume of an open catalog: its name arrays and where its FILES chunks are. */
export interface VolumeState extends VolumeHead {
  names: NameTable;
  /** Child lists (CSR): children of name i are childList[childStart[i] .. childStart[i+1]). */
  childStart?: Int32Array;
  childList?: Int32Array;
  lookup: Map<number, Map<string, number[]>>;
  /** Paths of directories, filled as they are asked for. */
  dirPaths: (string | undefined)[];
}

/** A catalog's structure without its names: binding, volumes and their FILES chunks, END. */
export interface CatalogStructure {
  binding: CatalogBinding;
  major: number;
  volumes: Map<number, VolumeHead>;
  endHeader: SectionHeader;
}

/** A checked, inflated section payload, read as `structure`. */
export type PayloadReader = (h: SectionHeader, structure: string) => ByteReader;

export function parseCatalog(bytes: Uint8Array): { binding: CatalogBinding; volumes: VolumeState[] } {
  const headers = readSectionHeaders(bytes);
  const major = checkPreamble(bytes);
  const reader: PayloadReader = (h, structure) => new ByteReader(readSectionPayload(bytes, h), h.offset, structure);
  const structure = readStructure(headers, major, reader);
  const states = new Map<number, VolumeState>();
  for (const [index, head] of structure.volumes) states.set(index, { ...head, names: newNameTable(head.info.names), lookup: new Map(), dirPaths: [] });
  for (const h of headers) {
    if (h.type !== SectionType.names) continue;
    const r = reader(h, 'catalog NAMES section');
    const head = readNamesHeader(r, major);
    const v = namesVolume(states, head.volume, h, r);
    decodeNames(r, head, v.names, v.info.files, major);
  }
  for (const v of states.values()) checkNamesRead(v, v.names.filled, v.names.files, structure.endHeader);
  return { binding: structure.binding, volumes: [...states.values()] };
}

/**
 * Binding, END, VOLUME and UPCASE sections, checked against each other (NAMES chunks are read by
 * the caller, FILES chunks when asked for): what every reader of a catalog needs first.
 */
export function readStructure(headers: readonly SectionHeader[], major: number, reader: PayloadReader): CatalogStructure {
  const first = headers[0]!;
  if (first.type !== SectionType.binding) {
    throw new GrtError('BAD_CATALOG', 'catalog does not start with its binding', { structure: 'catalog section', offset: first.offset, actual: first.type });
  }
  const binding = decodeBinding(reader(first, 'catalog binding'));
  const endHeader = headers[headers.length - 1]!;
  const { totals, fileChunks } = readEndSection(reader(endHeader, 'catalog END section'), headers);
  // Volumes past the first disk are named by the binding (format 3.1); the others by partition number.
  const idOf = new Map((binding.volumes ?? []).map((v) => [v.number, v.id]));
  const volumes = new Map<number, VolumeHead>();
  for (const h of headers) {
    if (h.type === SectionType.volume) {
      const info = decodeVolume(reader(h, 'catalog volume section'), major);
      const total = totals.get(info.index);
      if (!total || volumes.has(info.index) || total.names === 0) {
        throw new GrtError('BAD_CATALOG', 'volume section disagrees with the END section', { structure: 'catalog volume section', offset: h.offset, actual: info.index });
      }
      const head: VolumeHead = { info: { ...info, ...total, id: idOf.get(info.index) ?? String(info.index) }, chunks: [], major, sectionOffset: h.offset };
      if (info.nameRule === 'bytes') head.rule = { kind: 'bytes' };
      volumes.set(info.index, head);
    } else if (h.type === SectionType.upcase) {
      const { volume, table } = decodeUpcase(reader(h, 'catalog UPCASE section'));
      const v = volumes.get(volume);
      if (!v || v.rule || v.info.nameRule !== 'upcase') throw new GrtError('BAD_CATALOG', 'UPCASE section of an unknown volume, a second one, or of a volume without that rule', { structure: 'catalog UPCASE section', offset: h.offset, actual: volume });
      v.rule = { kind: 'upcase', table };
    }
  }
  assignChunks(volumes, fileChunks, endHeader);
  if (volumes.size !== totals.size) {
    throw new GrtError('BAD_CATALOG', 'a volume in the END section has no volume section', { structure: 'catalog END section', offset: endHeader.offset });
  }
  return { binding, major, volumes, endHeader };
}

/** The volume a NAMES chunk (section `h`) names: one whose VOLUME section came before it. */
export function namesVolume<V extends VolumeHead>(volumes: ReadonlyMap<number, V>, volume: number, h: SectionHeader, r: ByteReader): V {
  const v = volumes.get(volume);
  if (!v || v.sectionOffset > h.offset) r.fail('NAMES chunk of an unknown volume', volume);
  return v;
}

/** Every name the END section counts was read (format 1.x: and every file met, as names first use them). */
export function checkNamesRead(v: VolumeHead, filled: number, files: number, endHeader: SectionHeader): void {
  if (filled !== v.info.names || (v.major === 1 && files !== v.info.files)) {
    throw new GrtError('BAD_CATALOG', `volume ${v.info.index} has fewer records than its END section counts`, { structure: 'catalog', offset: endHeader.offset, expected: v.info.names, actual: filled });
  }
}

/** A FILES chunk as the END section lists it: which volume's files [first, first + count) it holds. */
interface FileChunkRef extends FileChunk {
  volume: number;
}

/** The END section: each volume's name and file counts, and the FILES chunks in order. */
function readEndSection(er: ByteReader, headers: readonly SectionHeader[]): { totals: Map<number, { names: number; files: number }>; fileChunks: FileChunkRef[] } {
  const totals = new Map<number, { names: number; files: number }>();
  const volumeCount = er.bounded(MAX_VOLUMES, 'volume count');
  // Name arrays are allocated from END's counts, so those are bounded by what the NAMES sections
  // can hold: a name record takes at least MIN_NAME_RECORD_BYTES, and a section cannot inflate
  // past what deflate's best ratio allows for its stored bytes.
  let nameRoom = 0;
  for (const h of headers) {
    if (h.type === SectionType.names) nameRoom += Math.min(h.uncompressedLength, h.storedLength * DEFLATE_MAX_RATIO) / MIN_NAME_RECORD_BYTES;
  }
  let namesLeft = Math.floor(nameRoom);
  for (let i = 0; i < volumeCount; i++) {
    const index = er.u();
    const names = er.bounded(namesLeft, 'name count');
    namesLeft -= names;
    const files = er.bounded(names, 'file count');
    if (totals.has(index)) er.fail('volume listed twice', index);
    totals.set(index, { names, files });
  }
  const byOffset = new Map(headers.map((h) => [h.offset, h]));
  const chunkCount = er.bounded(headers.length, 'FILES chunk count');
  const fileChunks: FileChunkRef[] = [];
  for (let i = 0; i < chunkCount; i++) {
    const header = byOffset.get(er.u());
    if (!header || header.type !== SectionType.files) er.fail('FILES chunk reference points at no FILES section');
    fileChunks.push({ header, volume: er.u(), first: er.u(), count: er.u() });
  }
  return { totals, fileChunks };
}

/** Give each volume its FILES chunks, which must follow each other and cover its files exactly. */
function assignChunks(states: ReadonlyMap<number, VolumeHead>, fileChunks: readonly FileChunkRef[], endHeader: SectionHeader): void {
  for (const c of fileChunks) {
    const v = states.get(c.volume);
    const expected = v?.chunks.reduce((n, k) => n + k.count, 0);
    if (!v || c.first !== expected || c.count === 0 || c.first + c.count > v.info.files) {
      throw new GrtError('BAD_CATALOG', 'FILES chunk out of order', { structure: 'catalog END section', offset: c.header.offset, actual: c.first });
    }
    v.chunks.push(c);
  }
  for (const v of states.values()) {
    const covered = v.chunks.reduce((n, k) => n + k.count, 0);
    if (covered !== v.info.files) {
      throw new GrtError('BAD_CATALOG', 'FILES chunks do not cover every file', { structure: 'catalog END section', offset: endHeader.offset, expected: v.info.files, actual: covered });
    }
  }
}

/** A FILES chunk's payload as a reader, its header checked against what the END section says of it. */
export function filesChunkReader(payload: Uint8Array, v: VolumeHead, chunk: FileChunk): { r: ByteReader; head: ChunkHeader } {
  const r = new ByteReader(payload, chunk.header.offset, 'catalog FILES section');
  const head = readFilesHeader(r);
  if (head.volume !== v.info.index || head.first !== chunk.first || head.count !== chunk.count) {
    r.fail('FILES chunk disagrees with the END section', head.first);
  }
  return { r, head };
}
