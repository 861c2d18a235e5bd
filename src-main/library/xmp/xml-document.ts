// A small, strict, namespace-aware XML parser that remembers where every node sits in the source
// string. The sidecar writer edits XMP by splicing those ranges, so everything it does not touch
// (darktable history, ratings, other tools' namespaces, comments, formatting) survives
// byte-for-byte. Strictness is the safety net: anything it cannot parse is reported, never
// "repaired", so a file we do not understand is never overwritten.
import { XmlSyntaxError, decodeReferences } from './xml-text.ts';

export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

export interface XmlAttribute {
  readonly qname: string;
  readonly localName: string;
  /** Namespace URI; null for unprefixed attributes (they are in no namespace). */
  readonly namespace: string | null;
  readonly value: string;
  /** Range of the whole attribute including the whitespace before its name. */
  readonly start: number;
  readonly end: number;
}

export interface XmlText {
  readonly kind: 'text';
  /** Decoded character data (CDATA sections included). */
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/** Comments and processing instructions: kept only so ranges stay complete. */
export interface XmlOther {
  readonly kind: 'other';
  readonly start: number;
  readonly end: number;
}

export interface XmlElement {
  readonly kind: 'element';
  readonly qname: string;
  readonly localName: string;
  readonly namespace: string | null;
  readonly attributes: readonly XmlAttribute[];
  /** Prefix → namespace URI bindings in scope on this element ('' is the default namespace). */
  readonly scope: ReadonlyMap<string, string>;
  readonly children: readonly XmlNode[];
  readonly selfClosing: boolean;
  /** Index of '<'. */
  readonly start: number;
  /** Index just after the last attribute (where a new attribute can be inserted). */
  readonly attributesEnd: number;
  /** Index just after the start tag's '>' (equals `end` when self-closing). */
  readonly startTagEnd: number;
  /** Index of '</' of the end tag (equals `end` when self-closing). */
  readonly endTagStart: number;
  /** Index just after the whole element. */
  readonly end: number;
}

export type XmlNode = XmlElement | XmlText | XmlOther;

export interface XmlDocument {
  readonly source: string;
  readonly root: XmlElement;
}

const NAME = /[A-Za-z_:\u00C0-\uFFFF][\w.\-:\u00B7\u00C0-\uFFFF]*/y;
const WHITESPACE = /[ \t\r\n]*/y;

interface MutableElement extends Omit<XmlElement, 'children'> {
  children: XmlNode[];
}

export function parseXml(source: string): XmlDocument {
  return new Parser(source).parseDocument();
}

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  parseDocument(): XmlDocument {
    if (this.src.startsWith('\uFEFF')) this.pos = 1;
    let root: XmlElement | null = null;
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= this.src.length) break;
      if (this.src.startsWith('<?', this.pos)) this.parseProcessingInstruction();
      else if (this.src.startsWith('<!--', this.pos)) this.parseComment();
      else if (this.src.startsWith('<!', this.pos)) {
        // DTDs can define entities and defaults we would have to honour; XMP forbids them.
        throw this.error('Document type declarations are not allowed in XMP');
      } else if (this.src[this.pos] === '<') {
        if (root) throw this.error('More than one root element');
        root = this.parseElement(new Map([['xml', XML_NAMESPACE]]));
      } else throw this.error('Text outside the root element');
    }
    if (!root) throw this.error('No root element');
    return { source: this.src, root };
  }

  private parseElement(parentScope: ReadonlyMap<string, string>): XmlElement {
    const start = this.pos;
    this.pos++; // '<'
    const qname = this.readName();
    const rawAttributes: { qname: string; value: string; start: number; end: number }[] = [];
    let attributesEnd = this.pos;
    for (;;) {
      const beforeSpace = this.pos;
      this.skipWhitespace();
      const ch = this.src[this.pos];
      if (ch === '>' || ch === '/') break;
      if (this.pos === beforeSpace) throw this.error('Expected whitespace before attribute');
      const name = this.readName();
      this.skipWhitespace();
      this.expect('=');
      this.skipWhitespace();
      const value = this.readAttributeValue();
      if (rawAttributes.some((a) => a.qname === name))
        throw this.error(`Duplicate attribute ${name}`);
      rawAttributes.push({ qname: name, value, start: beforeSpace, end: this.pos });
      attributesEnd = this.pos;
    }
    const scope = new Map(parentScope);
    for (const attr of rawAttributes) {
      if (attr.qname === 'xmlns') scope.set('', attr.value);
      else if (attr.qname.startsWith('xmlns:')) {
        if (attr.value === '') throw this.error(`Empty namespace for ${attr.qname}`, attr.start);
        scope.set(attr.qname.slice(6), attr.value);
      }
    }
    const [namespace, localName] = this.resolve(qname, scope, true, start);
    const attributes = rawAttributes.map((attr): XmlAttribute => {
      const isDeclaration = attr.qname === 'xmlns' || attr.qname.startsWith('xmlns:');
      const [ns, local] = isDeclaration
        ? [XMLNS_NAMESPACE, attr.qname]
        : this.resolve(attr.qname, scope, false, attr.start);
      return { ...attr, namespace: ns, localName: local };
    });
    assertUniqueExpandedNames(attributes, start);

    const selfClosing = this.src[this.pos] === '/';
    if (selfClosing) this.expect('/');
    this.expect('>');
    const startTagEnd = this.pos;
    const element: MutableElement = {
      kind: 'element',
      qname,
      localName,
      namespace,
      attributes,
      scope,
      children: [],
      selfClosing,
      start,
      attributesEnd,
      startTagEnd,
      endTagStart: startTagEnd,
      end: startTagEnd,
    };
    if (selfClosing) return element;

    const endTagStart = this.parseContent(element.children, scope);
    this.pos = endTagStart + 2;
    const closing = this.readName();
    if (closing !== qname) {
      throw this.error(`End tag </${closing}> does not match <${qname}>`, endTagStart);
    }
    this.skipWhitespace();
    this.expect('>');
    return { ...element, endTagStart, end: this.pos };
  }

  /** Parses children until an end tag; returns the index of its '</'. */
  private parseContent(children: XmlNode[], scope: ReadonlyMap<string, string>): number {
    let textStart = this.pos;
    let text = '';
    const flushText = (): void => {
      if (this.pos > textStart)
        children.push({ kind: 'text', value: text, start: textStart, end: this.pos });
      text = '';
    };
    for (;;) {
      if (this.pos >= this.src.length) throw this.error('Unexpected end of file inside an element');
      if (this.src.startsWith('</', this.pos)) {
        flushText();
        return this.pos;
      }
      if (this.src.startsWith('<![CDATA[', this.pos)) {
        const close = this.src.indexOf(']]>', this.pos + 9);
        if (close < 0) throw this.error('Unterminated CDATA section');
        text += this.src.slice(this.pos + 9, close);
        this.pos = close + 3;
      } else if (this.src.startsWith('<!--', this.pos) || this.src.startsWith('<?', this.pos)) {
        flushText();
        const start = this.pos;
        if (this.src[this.pos + 1] === '?') this.parseProcessingInstruction();
        else this.parseComment();
        children.push({ kind: 'other', start, end: this.pos });
        textStart = this.pos;
      } else if (this.src.startsWith('<!', this.pos)) {
        throw this.error('Unexpected markup declaration');
      } else if (this.src[this.pos] === '<') {
        flushText();
        children.push(this.parseElement(scope));
        textStart = this.pos;
      } else {
        const next = this.src.indexOf('<', this.pos);
        const stop = next < 0 ? this.src.length : next;
        const raw = this.src.slice(this.pos, stop);
        if (raw.includes(']]>')) throw this.error("']]>' is not allowed in text");
        text += decodeReferences(raw.replace(/\r\n?/g, '\n'), this.pos);
        this.pos = stop;
      }
    }
  }

  private parseComment(): void {
    const close = this.src.indexOf('-->', this.pos + 4);
    if (close < 0) throw this.error('Unterminated comment');
    this.pos = close + 3;
  }

  private parseProcessingInstruction(): void {
    const close = this.src.indexOf('?>', this.pos + 2);
    if (close < 0) throw this.error('Unterminated processing instruction');
    this.pos = close + 2;
  }

  private readAttributeValue(): string {
    const quote = this.src[this.pos];
    if (quote !== '"' && quote !== "'") throw this.error('Expected a quoted attribute value');
    const close = this.src.indexOf(quote, this.pos + 1);
    if (close < 0) throw this.error('Unterminated attribute value');
    const raw = this.src.slice(this.pos + 1, close);
    if (raw.includes('<')) throw this.error("'<' is not allowed in attribute values");
    // Attribute-value normalisation (XML 1.0 §3.3.3): literal line breaks and tabs become spaces.
    const value = decodeReferences(raw.replace(/\r\n|[\r\n\t]/g, ' '), this.pos + 1);
    this.pos = close + 1;
    return value;
  }

  private resolve(
    qname: string,
    scope: ReadonlyMap<string, string>,
    useDefault: boolean,
    at: number,
  ): [string | null, string] {
    const colon = qname.indexOf(':');
    if (colon < 0) return [useDefault ? scope.get('') || null : null, qname];
    const prefix = qname.slice(0, colon);
    const local = qname.slice(colon + 1);
    if (local === '' || local.includes(':')) throw this.error(`Malformed name ${qname}`, at);
    const ns = scope.get(prefix);
    if (ns === undefined) throw this.error(`Undeclared namespace prefix "${prefix}"`, at);
    return [ns, local];
  }

  private readName(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.src);
    if (!match) throw this.error('Expected a name');
    this.pos += match[0].length;
    return match[0];
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.exec(this.src);
    this.pos = WHITESPACE.lastIndex;
  }

  private expect(char: string): void {
    if (this.src[this.pos] !== char) throw this.error(`Expected '${char}'`);
    this.pos++;
  }

  private error(message: string, at = this.pos): XmlSyntaxError {
    return new XmlSyntaxError(message, at);
  }
}

function assertUniqueExpandedNames(attributes: readonly XmlAttribute[], at: number): void {
  const seen = new Set<string>();
  for (const attr of attributes) {
    const key = `${attr.namespace ?? ''} ${attr.localName}`;
    if (seen.has(key)) throw new XmlSyntaxError(`Duplicate attribute ${attr.qname}`, at);
    seen.add(key);
  }
}

/** Element children only (text, comments and PIs skipped). */
export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => child.kind === 'element');
}

/** Concatenated character data directly inside `element`. */
export function textContent(element: XmlElement): string {
  return element.children.map((child) => (child.kind === 'text' ? child.value : '')).join('');
}

export function isElement(node: XmlElement, namespace: string, localName: string): boolean {
  return node.namespace === namespace && node.localName === localName;
}

export function findAttribute(
  element: XmlElement,
  namespace: string,
  localName: string,
): XmlAttribute | undefined {
  return element.attributes.find((a) => a.namespace === namespace && a.localName === localName);
}

/** A prefix bound to `namespace` on `element`, preferring `preferred`; null if none is. */
export function prefixFor(
  element: XmlElement,
  namespace: string,
  preferred: string,
): string | null {
  if (element.scope.get(preferred) === namespace) return preferred;
  for (const [prefix, uri] of element.scope) if (uri === namespace && prefix !== '') return prefix;
  return null;
}
