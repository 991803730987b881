/**
 * A folder's packed names (schema 2): any names round-trip, appending keeps the slots already
 * given, and bytes that are not a names blob (a damaged database) give a GrtError, never a crash.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { GrtError } from '../../src/errors.js';
import { decodeFolderNames, encodeFolderNames, gramsAdded, gramsOf } from '../../src/index/folder-names.js';
import { storableText } from '../../src/index/row.js';

/** Names as the index stores them (storableText), with shared prefixes and surrogate pairs likely. */
const nameArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('file1.txt', 'file10.txt', 'file\u{1F600}a', 'file\u{1F601}b', 'Kelvin\u212a', ''),
).map(storableText);

it('names round-trip, and an appended tail keeps every earlier slot', () => {
  fc.assert(fc.property(fc.array(nameArb, { maxLength: 30 }), fc.array(nameArb, { maxLength: 10 }), (head, tail) => {
    const blob = encodeFolderNames(head);
    expect(decodeFolderNames(blob)).toEqual(head);
    const appended = Buffer.concat([blob, encodeFolderNames(tail, head.at(-1) ?? '')]);
    expect(decodeFolderNames(appended)).toEqual([...head, ...tail]);
  }), { numRuns: 2000 });
});

it('bytes that are not a names blob give a GrtError or names, nothing else', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    try {
      for (const name of decodeFolderNames(bytes)) expect(typeof name).toBe('string');
    } catch (error) {
      expect(error).toBeInstanceOf(GrtError);
    }
  }), { numRuns: 5000 });
});

it('a name\'s grams are its key\'s first three characters, its extension and its ASCII trigrams', () => {
  expect(gramsOf('Budget.XLSX')).toEqual(['pbud', 'exlsx', 'tbud', 'tudg', 'tdge', 'tget', 'tet.', 'tt.x', 't.xl', 'txls', 'tlsx']);
  expect(gramsOf('ab')).toEqual(['pab']);
  expect(gramsOf('')).toEqual([]);
  // Trigrams holding a non-ASCII character are never asked for (a glob's literal runs are ASCII).
  expect(gramsOf('\u{1F600}\u{1F600}\u{1F600}\u{1F600}.x')).toEqual(['p\u{1F600}\u{1F600}\u{1F600}', 'ex']);
  expect(gramsOf('\u017fum\u00e9s')).toEqual(['psum', 'tsum']);
});

it('a folder gains only the grams its stored names lack', () => {
  expect(gramsAdded(['budget.xlsx'], ['budget.xlsx', 'Budgie'])).toEqual(['tdgi', 'tgie']);
  expect(gramsAdded([], ['abc', 'ABC'])).toEqual(['pabc', 'tabc']);
});
