/**
 * LVM2's configuration syntax, in which the VG metadata text is written. Source: LVM2
 * libdm/libdm-config.c (the tokenizer `_get_token` and the parser `_section`, `_value`, `_type`).
 *
 *   file     := item*
 *   item     := name '{' item* '}'  |  name '=' value
 *   value    := string | number | '[' (value (',' value)*)? ']'
 *   string   := '"' chars, with \" and \\ escapes '"'
 *   comment  := '#' to the end of the line
 *
 * Everything is bounded (text size, nesting, list length, total values); numbers must be integers
 * exactly representable in a JavaScript number. Anything else is a GrtError, never a crash.
 */
import { GrtError } from '../../errors.js';
import { MAX_METADATA_TEXT } from './metadata-area.js';

/** Deepest nesting of sections: VG metadata goes 4 deep (vg > logical_volumes > lv > segment1). */
export const MAX_SECTION_DEPTH = 16;
/** Longest list: a segment's `stripes` list has 2 entries per stripe, and LVM allows 128 stripes. */
export const MAX_LIST_LENGTH = 65536;
/** Values and sections in one text: a VG of thousands of LVs has some hundred thousand. */
export const MAX_CONFIG_NODES = 1_000_000;

export type ConfigScalar = string | number;
export type ConfigValue = ConfigScalar | ConfigScalar[];

/** A section: its values and subsections, in the order the text gives them. */
export interface ConfigSection {
  values: Map<string, ConfigValue>;
  sections: Map<string, ConfigSection>;
}

const STRUCTURE = 'LVM2 metadata text';

class Parser {
  private at = 0;
  private nodes = 0;
  constructor(private readonly text: string) {}

  fail(detail: string, code: 'BAD_HEADER' | 'LIMIT_EXCEEDED' = 'BAD_HEADER'): never {
    throw new GrtError(code, `${detail} (character ${this.at})`, { structure: STRUCTURE });
  }

  /** Skip white space and comments. */
  skip(): void {
    const text = this.text;
    while (this.at < text.length) {
      const c = text[this.at]!;
      if (c === '#') {
        const end = text.indexOf('\n', this.at);
        this.at = end === -1 ? text.length : end + 1;
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.at++;
      } else {
        return;
      }
    }
  }

  peek(): string | undefined {
    this.skip();
    return this.text[this.at];
  }

  expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected '${c}'`);
    this.at++;
  }

  /** A key or section name: the characters libdm-config accepts in an unquoted word. */
  name(): string {
    this.skip();
    const match = /^[A-Za-z0-9_+.\-/]+/.exec(this.text.slice(this.at, this.at + 1024));
    if (!match) this.fail('expected a name');
    this.at += match[0].length;
    return match[0];
  }

  count(): void {
    if (++this.nodes > MAX_CONFIG_NODES) this.fail(`more than ${MAX_CONFIG_NODES} values`, 'LIMIT_EXCEEDED');
  }

  section(depth: number, closing: boolean): ConfigSection {
    const section: ConfigSection = { values: new Map(), sections: new Map() };
    for (;;) {
      const next = this.peek();
      if (next === undefined) {
        if (closing) this.fail("unbalanced '{': the text ends inside a section");
        return section;
      }
      if (next === '}') {
        if (!closing) this.fail("unbalanced '}'");
        this.at++;
        return section;
      }
      const key = this.name();
      this.count();
      if (section.values.has(key) || section.sections.has(key)) this.fail(`${JSON.stringify(key)} given twice`);
      if (this.peek() === '{') {
        if (depth + 1 > MAX_SECTION_DEPTH) this.fail(`sections nested deeper than ${MAX_SECTION_DEPTH}`, 'LIMIT_EXCEEDED');
        this.at++;
        section.sections.set(key, this.section(depth + 1, true));
      } else {
        this.expect('=');
        section.values.set(key, this.value());
      }
    }
  }

  value(): ConfigValue {
    if (this.peek() !== '[') return this.scalar();
    this.at++;
    const list: ConfigScalar[] = [];
    if (this.peek() === ']') {
      this.at++;
      return list;
    }
    for (;;) {
      if (list.length >= MAX_LIST_LENGTH) this.fail(`a list longer than ${MAX_LIST_LENGTH}`, 'LIMIT_EXCEEDED');
      this.count();
      list.push(this.scalar());
      const next = this.peek();
      this.at++;
      if (next === ']') return list;
      if (next !== ',') this.fail("expected ',' or ']' in a list");
    }
  }

  scalar(): ConfigScalar {
    const c = this.peek();
    if (c === '"') return this.string();
    const match = /^[-+]?[0-9]+(\.[0-9]+)?/.exec(this.text.slice(this.at, this.at + 64));
    if (!match) this.fail('expected a string, a number or a list');
    this.at += match[0].length;
    if (match[1] !== undefined) return Number(match[0]);
    const value = Number(match[0]);
    if (!Number.isSafeInteger(value)) this.fail(`number ${match[0].slice(0, 30)} is past 2^53`);
    return value;
  }

  string(): string {
    this.at++;
    const parts: string[] = [];
    let from = this.at;
    for (; this.at < this.text.length; this.at++) {
      const c = this.text[this.at];
      if (c === '"') {
        parts.push(this.text.slice(from, this.at++));
        return parts.join('');
      }
      if (c === '\\') {
        // A backslash takes the next character as it is (libdm-config _dup_string_tok).
        parts.push(this.text.slice(from, this.at));
        from = ++this.at;
      }
    }
    return this.fail('a string is not closed');
  }
}

/** The top-level section of a metadata (or any LVM config) text. */
export function parseConfigText(text: string): ConfigSection {
  if (text.length > MAX_METADATA_TEXT) {
    throw new GrtError('LIMIT_EXCEEDED', `metadata text of ${text.length} characters is past the limit`, { structure: STRUCTURE, expected: MAX_METADATA_TEXT, actual: text.length });
  }
  return new Parser(text).section(0, false);
}
