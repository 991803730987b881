/**
 * What a correct reader should list for a spec: every path (hard links included, DOS names
 * not), with its kind, content and streams — for round-trip tests against grt's NTFS reader.
 */

import type { NodeSpec, NtfsSpec, StreamSpec } from './spec.js';

export interface ExpectedEntry {
  /** '/dir/name', as the spec spells it. */
  path: string;
  kind: 'file' | 'dir';
  /** The unnamed stream (files only). */
  data?: Uint8Array;
  streams: StreamSpec[];
  dosName?: string;
  /** Number of names the file has in directories (its own + hard links), DOS names excluded. */
  links: number;
  /** The path the spec declares the node at; hard-link paths point back to it. */
  primaryPath: string;
}

export function expectedEntries(spec: NtfsSpec): ExpectedEntry[] {
  const out: ExpectedEntry[] = [];
  const walk = (nodes: NodeSpec[], dir: string) => {
    for (const node of nodes) {
      const path = `${dir}/${node.name}`;
      if (node.kind === 'dir') {
        out.push({ path, kind: 'dir', streams: [], links: 1, primaryPath: path, ...(node.dosName ? { dosName: node.dosName } : {}) });
        walk(node.children, path);
        continue;
      }
      const links = node.hardLinks ?? [];
      const base = { kind: 'file' as const, data: node.data, streams: node.streams ?? [], links: 1 + links.length, primaryPath: path };
      out.push({ path, ...base, ...(node.dosName ? { dosName: node.dosName } : {}) });
      for (const link of links) out.push({ path: link.startsWith('/') ? link : `${dir}/${link}`, ...base });
    }
  };
  walk(spec.root.children, '');
  return out;
}
