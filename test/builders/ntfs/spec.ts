/**
 * What the synthetic NTFS builder is asked to write. All sizes are bytes; `data` is always the
 * exact logical content a correct reader returns (holes and bytes past `initializedSize` must
 * be zero in it — the builder checks).
 */

import type { Filetimes } from './attributes.js';

export interface NtfsSpec {
  sectorSize?: 512 | 4096;
  /** A power of two from 512 B to 2 MiB, at least the sector size. Default 4096. */
  clusterSize?: number;
  /** Default 1024 (4096 when sectorSize is 4096). */
  recordSize?: 1024 | 4096;
  indexBlockSize?: 4096;
  volumeLabel?: string;
  serial?: bigint;
  /** Split $MFT's $DATA over two extents, the second in extension record 16, via an $ATTRIBUTE_LIST. */
  mftAttributeList?: boolean;
  /** Free clusters to leave at the end of the volume (default 16). */
  freeClusters?: number;
  root: DirSpec;
}

export type NodeSpec = FileSpec | DirSpec;

export interface StreamSpec {
  name: string;
  data: Uint8Array;
}

export interface FileSpec {
  kind: 'file';
  name: string;
  data: Uint8Array;
  /** Default: resident when nothing else asks for clusters and data.length ≤ 256. */
  resident?: boolean;
  /** Holes as [byteStart, byteLength], cluster-aligned, inside the data; data there must be zero. */
  sparseRanges?: [number, number][];
  /** Place the clusters in several runs with free clusters between them. */
  fragmented?: boolean;
  /** LZNT1 compression in 16-cluster units; cluster size must be ≤ 4096. */
  compressed?: boolean;
  /** Bytes of valid data; data past it must be zero (the builder writes junk there on disk). */
  initializedSize?: number;
  streams?: StreamSpec[];
  dosName?: string;
  times?: Partial<Filetimes>;
  /** Extra names: a bare name (same directory) or an absolute path '/dir/sub/name'. */
  hardLinks?: string[];
  /** Put the data streams in an extension record, listed by an $ATTRIBUTE_LIST. */
  attributeList?: boolean;
}

export interface DirSpec {
  kind: 'dir';
  name: string;
  children: NodeSpec[];
  dosName?: string;
  times?: Partial<Filetimes>;
}

/** 2024-01-02T03:04:05.0000000Z as FILETIME: the default for every time stamp. */
export const DEFAULT_FILETIME = 133_486_022_450_000_000n;

/** Largest data kept resident when the spec does not say. */
export const RESIDENT_DEFAULT_MAX = 256;
