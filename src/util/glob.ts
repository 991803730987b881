/**
 * Case-insensitive shell globs, for catalog searches and restore selections: `*` (any run within
 * one path part), `?` (one character), `**` (any number of path parts), `[abc]`, `[a-z]`, `[!x]`/`[^x]`, and `\` to quote
 * the next character. A glob without `/` matches names; one with `/` matches whole paths from the
 * volume root (a leading `/` is implied). A `**` part also matches no directory at all, so
 * `/a/` + `**` + `/x` matches `/a/x`.
 */

export interface CompiledGlob {
  /** True when the glob is matched against whole paths rather than names. */
  matchesPath: boolean;
  test(value: string): boolean;
}

type Token =
  | { kind: 'literal'; cp: number; raw: number }
  | { kind: 'one' } // ?
  | { kind: 'star' } // *: any run without '/'
  | { kind: 'globstar' } // ** not followed by '/': anything
  | { kind: 'dirs' } // **/: nothing, or anything ending in '/'
  | { kind: 'class'; negate: boolean; ranges: [number, number][] };

/** Case folding per code point (a fold that would change the length leaves the character as it is). */
function fold(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  const lower = String.fromCodePoint(cp).toLowerCase();
  const folded = lower.codePointAt(0)!;
  return lower.length === (folded > 0xffff ? 2 : 1) ? folded : cp;
}

const SLASH = 0x2f;

/** The character class starting at glob[i] === '[', or undefined when it is not closed. */
function parseClass(cps: number[], i: number): { token: Token; end: number } | undefined {
  let j = i + 1;
  let negate = false;
  if (cps[j] === 0x21 || cps[j] === 0x5e) {
    negate = true; // [!x] or [^x]
    j++;
  }
  const ranges: [number, number][] = [];
  let first = true;
  while (j < cps.length && (cps[j] !== 0x5d || first)) {
    first = false;
    if (cps[j] === 0x5c && j + 1 < cps.length) j++; // backslash quotes
    const from = cps[j]!;
    j++;
    if (cps[j] === 0x2d && j + 1 < cps.length && cps[j + 1] !== 0x5d) {
      ranges.push([from, cps[j + 1]!]); // a reversed range matches nothing
      j += 2;
    } else {
      ranges.push([from, from]);
    }
  }
  if (j >= cps.length) return undefined;
  return { token: { kind: 'class', negate, ranges }, end: j + 1 };
}

function tokenize(pattern: string): Token[] {
  const cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  const tokens: Token[] = [];
  for (let i = 0; i < cps.length; ) {
    const cp = cps[i]!;
    if (cp === 0x2a && cps[i + 1] === 0x2a) {
      i += 2;
      while (cps[i] === 0x2a) i++;
      if (cps[i] === SLASH) {
        tokens.push({ kind: 'dirs' });
        i++;
      } else tokens.push({ kind: 'globstar' });
    } else if (cp === 0x2a) {
      tokens.push({ kind: 'star' });
      i++;
    } else if (cp === 0x3f) {
      tokens.push({ kind: 'one' });
      i++;
    } else if (cp === 0x5b && parseClass(cps, i)) {
      const cls = parseClass(cps, i)!;
      tokens.push(cls.token);
      i = cls.end;
    } else {
      if (cp === 0x5c && i + 1 < cps.length) i++;
      tokens.push({ kind: 'literal', cp: fold(cps[i]!), raw: cps[i]! });
      i++;
    }
  }
  return tokens;
}

function inClass(token: Extract<Token, { kind: 'class' }>, cp: number): boolean {
  const folded = fold(cp);
  const upper = cp < 0x80 ? (cp >= 0x61 && cp <= 0x7a ? cp - 0x20 : cp) : String.fromCodePoint(cp).toUpperCase().codePointAt(0)!;
  const hit = token.ranges.some(([lo, hi]) => (cp >= lo && cp <= hi) || (folded >= lo && folded <= hi) || (upper >= lo && upper <= hi));
  return hit !== token.negate;
}

/** Globs with more wildcards of unbounded length than this are matched by the state simulation. */
const MAX_REGEX_STARS = 2;

const hex = (cp: number): string => `\\u{${cp.toString(16)}}`;

/** The same tokens as a RegExp (u and i flags): fast, and safe while it has few unbounded parts. */
function toRegExp(tokens: Token[]): RegExp {
  let source = '';
  for (const t of tokens) {
    if (t.kind === 'literal') source += hex(t.raw);
    else if (t.kind === 'one') source += '[^/]';
    else if (t.kind === 'star') source += '[^/]*';
    else if (t.kind === 'globstar') source += '[^]*';
    else if (t.kind === 'dirs') source += '(?:[^]*/)?';
    else {
      const body = t.ranges.filter(([lo, hi]) => lo <= hi).map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('');
      source += t.negate ? `[^/${body}]` : body === '' ? '(?!)' : `(?!/)[${body}]`;
    }
  }
  return new RegExp(`^${source}$`, 'iu');
}

/**
 * A glob with few `*`/`**` parts becomes a RegExp. NOTE: one with more is matched by simulating
 * it as a state set instead, because a backtracking RegExp takes exponential time on globs like
 * `*a*a*a*a*b` over long names, and globs come from operators; the simulation is O(pattern × text).
 * `engine` forces one (tests compare them).
 */
export function compileGlob(glob: string, engine: 'auto' | 'regex' | 'states' = 'auto'): CompiledGlob {
  const matchesPath = glob.includes('/');
  const pattern = matchesPath && !glob.startsWith('/') && !glob.startsWith('**') ? `/${glob}` : glob;
  const tokens = tokenize(pattern);
  const stars = tokens.filter((t) => t.kind === 'star' || t.kind === 'globstar' || t.kind === 'dirs').length;
  if (engine === 'regex' || (engine === 'auto' && stars <= MAX_REGEX_STARS)) {
    const regex = toRegExp(tokens);
    return { matchesPath, test: (value) => regex.test(value) };
  }
  const n = tokens.length;
  // State 2i: before token i; 2i + 1: inside a 'dirs' token i (has consumed something).
  const close = (states: Uint8Array): void => {
    for (let i = 0; i < n; i++) {
      const kind = tokens[i]!.kind;
      if (states[2 * i] && (kind === 'star' || kind === 'globstar' || kind === 'dirs')) states[2 * i + 2] = 1;
    }
  };
  // Two state sets reused by every call (test is synchronous).
  const a = new Uint8Array(2 * n + 2);
  const b = new Uint8Array(2 * n + 2);
  const test = (value: string): boolean => {
    let current = a;
    let next = b;
    current.fill(0);
    current[0] = 1;
    close(current);
    for (let k = 0; k < value.length; k++) {
      let cp = value.charCodeAt(k);
      if (cp >= 0xd800 && cp < 0xdc00 && k + 1 < value.length) {
        const low = value.charCodeAt(k + 1);
        if (low >= 0xdc00 && low < 0xe000) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          k++;
        }
      }
      next.fill(0);
      let any = false;
      for (let i = 0; i < n; i++) {
        if (!current[2 * i] && !current[2 * i + 1]) continue;
        const t = tokens[i]!;
        let advance = false;
        if (t.kind === 'dirs') {
          next[2 * i + 1] = 1;
          if (cp === SLASH) advance = true;
        } else if (current[2 * i]) {
          if (t.kind === 'literal') advance = fold(cp) === t.cp;
          else if (t.kind === 'one') advance = cp !== SLASH;
          else if (t.kind === 'class') advance = cp !== SLASH && inClass(t, cp);
          else if (t.kind === 'star') {
            if (cp !== SLASH) next[2 * i] = 1;
          } else next[2 * i] = 1; // globstar
        }
        if (advance) next[2 * i + 2] = 1;
        any = true;
      }
      if (!any) return false;
      close(next);
      [current, next] = [next, current];
    }
    return current[2 * n] === 1;
  };
  return { matchesPath, test };
}
