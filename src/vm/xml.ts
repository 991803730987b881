/**
 * The subset of XML 1.0 an OVF descriptor needs: elements, attributes with their namespace
 * prefixes resolved (Namespaces in XML 1.0 §6), comments, processing instructions, CDATA and
 * character data (skipped). Deliberately not read: a DOCTYPE, and so any entity it would declare
 * (XML 1.0 §4.2) — only the five predefined entities and character references are decoded, never
 * expanded from a declaration, so no "billion laughs" can grow a descriptor. One pass, linear in
 * the text, with its depth, element and attribute counts bounded.
 */
import { GrtError } from '../errors.js';

/** Deepest element nesting: an OVF descriptor nests about 6 deep. */
export const MAX_XML_DEPTH = 64;
/** Elements in one document: a VM with hundreds of devices has a few thousand. */
export const MAX_XML_ELEMENTS = 100_000;
/** Attributes on one element: OVF elements carry a dozen at most. */
export const MAX_XML_ATTRIBUTES = 256;

/** The namespace of the `xml:` prefix, bound by definition (Namespaces in XML §3). */
const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';

export interface XmlAttribute {
  /** Namespace URI of the attribute's prefix; undefined when it has none (attributes take no default namespace). */
  namespace: string | undefined;
  local: string;
  value: string;
}

export interface XmlElement {
  local: string;
  /** Namespace URI of the element (its prefix's, or the default namespace). */
  namespace: string | undefined;
  attributes: XmlAttribute[];
}

const NAME = /[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/y;
const ATTRIBUTE = /\s+([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END = /\s*(\/?)>/y;
const CLOSE = /<\/([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*>/y;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function bad(detail: string, offset: number, path: string | undefined): GrtError {
  return new GrtError('BAD_DESCRIPTOR', detail, { structure: 'OVF descriptor (XML)', offset, ...(path === undefined ? {} : { path }) });
}

/** Character data or an attribute value with references decoded; an undeclared entity is refused, not expanded. */
export function decodeReferences(raw: string, offset = 0, path?: string): string {
  return raw.replace(/&([^;&\s]{0,10});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw bad('a bare "&" (write &amp;)', offset, path);
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined) return predefined;
    const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    const code = numeric ? parseInt(numeric[1] ?? numeric[2]!, numeric[1] ? 16 : 10) : NaN;
    if (numeric && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) return String.fromCodePoint(code);
    throw bad(`entity &${ref}; is not one XML predefines: entities are not expanded`, offset, path);
  });
}

interface Open {
  name: string;
  scope: Map<string, string>;
}

/** A start tag at `at`: its element (namespaces resolved against `scope`), where it ends, and whether it closes itself. */
function startTag(text: string, at: number, scope: Map<string, string>, path: string | undefined): { element: XmlElement; name: string; scope: Map<string, string>; end: number; empty: boolean } {
  NAME.lastIndex = at + 1;
  const name = NAME.exec(text)?.[0];
  if (name === undefined) throw bad('a "<" that starts no tag', at, path);
  const raw: [string, string][] = [];
  let end = NAME.lastIndex;
  for (;;) {
    ATTRIBUTE.lastIndex = end;
    const match = ATTRIBUTE.exec(text);
    if (!match) break;
    if (raw.length >= MAX_XML_ATTRIBUTES) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_XML_ATTRIBUTES} attributes on <${name}>`, { structure: 'OVF descriptor (XML)', offset: at });
    if (raw.some(([n]) => n === match[1])) throw bad(`attribute ${match[1]} given twice on <${name}>`, at, path);
    raw.push([match[1]!, decodeReferences(match[2] ?? match[3]!, end, path)]);
    end = ATTRIBUTE.lastIndex;
  }
  TAG_END.lastIndex = end;
  const close = TAG_END.exec(text);
  if (!close) throw bad(`<${name}> is not closed by ">"`, at, path);
  let inner = scope;
  for (const [attribute, value] of raw) {
    if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) {
      if (inner === scope) inner = new Map(scope);
      inner.set(attribute === 'xmlns' ? '' : attribute.slice(6), value);
    }
  }
  const resolve = (qualified: string, useDefault: boolean): { namespace: string | undefined; local: string } => {
    const colon = qualified.indexOf(':');
    if (colon < 0) return { namespace: useDefault ? inner.get('') || undefined : undefined, local: qualified };
    const prefix = qualified.slice(0, colon);
    const namespace = prefix === 'xml' ? XML_NAMESPACE : inner.get(prefix);
    if (namespace === undefined) throw bad(`prefix ${prefix}: is not declared`, at, path);
    return { namespace, local: qualified.slice(colon + 1) };
  };
  const attributes = raw.filter(([n]) => n !== 'xmlns' && !n.startsWith('xmlns:')).map(([n, value]) => ({ ...resolve(n, false), value }));
  return { element: { ...resolve(name, true), attributes }, name, scope: inner, end: TAG_END.lastIndex, empty: close[1] === '/' };
}

/** The end of a markup construct opened at `at` by `open`, closed by `close`. */
function skipTo(text: string, at: number, open: string, close: string, path: string | undefined): number {
  const end = text.indexOf(close, at + open.length);
  if (end < 0) throw bad(`${open} is never closed by ${close}`, at, path);
  return end + close.length;
}

/**
 * Call `visit` for every element in document order, with its ancestors (outermost first). Throws
 * BAD_DESCRIPTOR for text that is not well-formed in the subset, LIMIT_EXCEEDED past the bounds.
 */
export function walkXml(text: string, visit: (element: XmlElement, ancestors: readonly XmlElement[]) => void, path?: string): void {
  const stack: Open[] = [];
  const elements: XmlElement[] = [];
  let count = 0;
  let rootSeen = false;
  let at = 0;
  for (;;) {
    const lt = text.indexOf('<', at);
    decodeReferences(text.slice(at, lt < 0 ? text.length : lt), at, path);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) at = skipTo(text, lt, '<!--', '-->', path);
    else if (text.startsWith('<?', lt)) at = skipTo(text, lt, '<?', '?>', path);
    else if (text.startsWith('<![CDATA[', lt)) at = skipTo(text, lt, '<![CDATA[', ']]>', path);
    else if (text.startsWith('<!', lt)) throw bad('a DOCTYPE or other declaration: not read (entities it declares would not be expanded)', lt, path);
    else if (text.startsWith('</', lt)) {
      CLOSE.lastIndex = lt;
      const close = CLOSE.exec(text);
      const open = stack.pop();
      if (!close || open?.name !== close[1]) throw bad(`closing tag does not match <${open?.name ?? 'nothing'}>`, lt, path);
      elements.pop();
      at = CLOSE.lastIndex;
    } else {
      if (stack.length === 0 && rootSeen) throw bad('a second root element', lt, path);
      if (++count > MAX_XML_ELEMENTS) throw new GrtError('LIMIT_EXCEEDED', `more than ${MAX_XML_ELEMENTS} elements`, { structure: 'OVF descriptor (XML)', offset: lt });
      if (stack.length >= MAX_XML_DEPTH) throw new GrtError('LIMIT_EXCEEDED', `elements nested more than ${MAX_XML_DEPTH} deep`, { structure: 'OVF descriptor (XML)', offset: lt });
      const tag = startTag(text, lt, stack[stack.length - 1]?.scope ?? new Map(), path);
      rootSeen = true;
      visit(tag.element, elements);
      if (!tag.empty) {
        stack.push({ name: tag.name, scope: tag.scope });
        elements.push(tag.element);
      }
      at = tag.end;
    }
    if (stack.length === 0 && rootSeen && text.slice(at).trim() !== '' && !/^\s*(<!--|<\?)/.test(text.slice(at))) throw bad('text after the root element', at, path);
  }
  if (stack.length > 0) throw bad(`<${stack[stack.length - 1]!.name}> is never closed`, text.length, path);
  if (!rootSeen) throw bad('no root element', 0, path);
}
