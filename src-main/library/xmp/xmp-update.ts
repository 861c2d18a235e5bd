// Merges Sightline's caption and keywords into an XMP packet by splicing the source text:
// dc:description (rdf:Alt, x-default) is replaced, dc:subject (rdf:Bag) only ever grows, and
// every other byte of the packet is left as it was.
import { applySplices, lineIndentAt, type Splice } from './source-edits.ts';
import { escapeXml, stripNonXmlChars } from './xml-text.ts';
import {
  childElements,
  parseXml,
  prefixFor,
  type XmlElement,
  type XmlNode,
} from './xml-document.ts';
import {
  findProperty,
  isDefaultLanguage,
  keywordKey,
  locatePacket,
  NS,
  propertyShape,
  readArrayValues,
  readLangAltDefault,
  XmpStructureError,
  type PropertyLocation,
  type XmpPacket,
} from './xmp-model.ts';

export interface XmpContent {
  /** New caption; null leaves any existing dc:description alone. */
  readonly description: string | null;
  /** Keywords to add to dc:subject; existing keywords are always kept. */
  readonly subjects: readonly string[];
}

export interface XmpValues {
  readonly description: string | null;
  readonly subjects: string[];
}

// Apps that keep their own keyword list and prefer it over dc:subject when reading: digiKam
// reads digiKam:TagsList first and darktable/Lightroom use lr:hierarchicalSubject. Where such a
// list already exists, our keywords are appended to it as top-level tags too, or those apps
// would not show them. We never create these lists.
const SECONDARY_KEYWORD_LISTS = [
  { namespace: NS.lightroom, localName: 'hierarchicalSubject' },
  { namespace: NS.digiKam, localName: 'TagsList' },
] as const;

export function readXmpValues(source: string): XmpValues {
  const packet = locatePacket(parseXml(source));
  return {
    description: readLangAltDefault(findProperty(packet, NS.dc, 'description')),
    subjects: readArrayValues(findProperty(packet, NS.dc, 'subject')),
  };
}

/** Clean, de-duplicated keywords (first spelling wins), blanks dropped. */
export function normaliseSubjects(subjects: readonly string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const raw of subjects) {
    const keyword = stripNonXmlChars(raw).trim();
    if (keyword === '' || seen.has(keywordKey(keyword))) continue;
    seen.add(keywordKey(keyword));
    result.push(keyword);
  }
  return result;
}

/** A fresh sidecar, laid out like the ones exiv2-based apps (darktable, digiKam) write. */
export function renderNewXmp(content: XmpContent): string {
  const layout: Layout = { newline: '\n', unit: ' ' };
  const indent = '   ';
  const properties = renderProperties(content, { rdf: 'rdf', dc: 'dc' }, indent, layout);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Sightline">',
    ` <rdf:RDF xmlns:rdf="${NS.rdf}">`,
    `  <rdf:Description rdf:about=""`,
    `    xmlns:dc="${NS.dc}">`,
    ...properties.map((p) => indent + p),
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '',
  ].join('\n');
}

/** The packet with `content` merged in; returns `source` itself when nothing needs to change. */
export function updateXmp(source: string, content: XmpContent): string {
  const packet = locatePacket(parseXml(source));
  const editor = new PacketEditor(packet);
  if (content.description !== null) editor.setDescription(stripNonXmlChars(content.description));
  const subjects = normaliseSubjects(content.subjects);
  editor.addKeywords(subjects);
  return editor.result();
}

interface Layout {
  readonly newline: string;
  /** One level of indentation. */
  readonly unit: string;
}

interface Prefixes {
  readonly rdf: string;
  readonly dc: string;
}

/** Property elements not yet in the file, grouped by the rdf:Description that will hold them. */
interface PendingDescription {
  readonly target: XmlElement | null; // null: a new rdf:Description inside rdf:RDF
  readonly prefixes: Prefixes;
  readonly declareDc: boolean;
  description: string | null;
  subjects: string[];
}

class PacketEditor {
  private readonly source: string;
  private readonly layout: Layout;
  private readonly splices: Splice[] = [];
  private readonly pending = new Map<XmlElement | null, PendingDescription>();

  constructor(private readonly packet: XmpPacket) {
    this.source = packet.doc.source;
    this.layout = {
      newline: this.source.includes('\r\n') ? '\r\n' : '\n',
      unit: detectIndentUnit(packet),
    };
  }

  setDescription(text: string): void {
    const location = findProperty(this.packet, NS.dc, 'description');
    if (!location) {
      this.pendingFor(null).description = text;
      return;
    }
    if (location.form === 'attribute') {
      // Not valid XMP for a language alternative, but written by some tools: move it into the
      // proper element form.
      this.removeAttribute(location);
      this.pendingFor(location.description).description = text;
      return;
    }
    const shape = propertyShape(location.element);
    if (shape.kind === 'other')
      throw new XmpStructureError('dc:description has an unexpected structure');
    if (shape.kind === 'simple') {
      this.replaceProperty(location.element, { kind: 'alt', text });
      return;
    }
    const defaultItem = shape.items.find(isDefaultLanguage);
    if (!defaultItem) {
      const first = shape.items[0];
      if (!first) {
        this.replaceProperty(location.element, { kind: 'alt', text });
        return;
      }
      // x-default goes first (XMP spec); other languages stay as they are.
      const rdf = this.rdfPrefix(shape.container);
      this.splices.push({
        start: first.element.start,
        end: first.element.start,
        text: `<${rdf}:li xml:lang="x-default">${escapeXml(text)}</${rdf}:li>${this.leadingWhitespace(shape.container, first.element)}`,
      });
      return;
    }
    if (defaultItem.text === null)
      throw new XmpStructureError('dc:description x-default is structured');
    if (defaultItem.text === text) return;
    // Other languages that merely mirrored the old default are updated with it; genuine
    // translations are kept.
    for (const item of shape.items) {
      if (item === defaultItem || item.text === defaultItem.text)
        this.replaceItemText(item.element, text);
    }
  }

  addKeywords(keywords: readonly string[]): void {
    if (keywords.length === 0) return;
    const location = findProperty(this.packet, NS.dc, 'subject');
    const missing = missingKeywords(readArrayValues(location), keywords);
    if (missing.length > 0) {
      if (!location) this.pendingFor(null).subjects = missing;
      else if (location.form === 'attribute') {
        this.removeAttribute(location);
        this.pendingFor(location.description).subjects = [location.attribute.value, ...missing];
      } else {
        const shape = propertyShape(location.element);
        if (shape.kind === 'other')
          throw new XmpStructureError('dc:subject has an unexpected structure');
        if (shape.kind === 'simple') {
          const existing = shape.text.trim() === '' ? [] : [shape.text];
          this.replaceProperty(location.element, { kind: 'bag', items: [...existing, ...missing] });
        } else
          this.appendItems(
            shape.container,
            shape.items.map((i) => i.element),
            missing,
          );
      }
    }
    for (const list of SECONDARY_KEYWORD_LISTS) {
      const where = findProperty(this.packet, list.namespace, list.localName);
      if (where?.form !== 'element') continue;
      const shape = propertyShape(where.element);
      if (shape.kind !== 'array') continue;
      const absent = missingKeywords(readArrayValues(where), keywords);
      if (absent.length > 0)
        this.appendItems(
          shape.container,
          shape.items.map((i) => i.element),
          absent,
        );
    }
  }

  result(): string {
    for (const pending of this.pending.values()) this.flushPending(pending);
    return this.splices.length === 0 ? this.source : applySplices(this.source, this.splices);
  }

  /** Where properties missing from the file go: `preferred`, else next to existing dc ones. */
  private pendingFor(preferred: XmlElement | null): PendingDescription {
    const target = preferred ?? this.defaultTarget();
    const existing = this.pending.get(target);
    if (existing) return existing;
    const scopeOwner = target ?? this.packet.rdf;
    const existingDc = target ? prefixFor(target, NS.dc, 'dc') : null;
    const created: PendingDescription = {
      target,
      prefixes: { rdf: this.rdfPrefix(scopeOwner), dc: existingDc ?? freePrefix(scopeOwner, 'dc') },
      declareDc: existingDc === null,
      description: null,
      subjects: [],
    };
    this.pending.set(target, created);
    return created;
  }

  private defaultTarget(): XmlElement | null {
    const { descriptions } = this.packet;
    const holdsDc = (d: XmlElement): boolean =>
      [
        findProperty(this.packet, NS.dc, 'description'),
        findProperty(this.packet, NS.dc, 'subject'),
      ].some((location) => location?.description === d);
    return (
      descriptions.find(holdsDc) ??
      descriptions.find((d) => prefixFor(d, NS.dc, 'dc') !== null) ??
      descriptions[0] ??
      null
    );
  }

  private flushPending(pending: PendingDescription): void {
    const { target, prefixes } = pending;
    const properties = (indent: string): string =>
      renderProperties(pending, prefixes, indent, this.layout)
        .map((p) => this.layout.newline + indent + p)
        .join('');
    const declaration = pending.declareDc ? ` xmlns:${prefixes.dc}="${NS.dc}"` : '';
    const nl = this.layout.newline;
    if (!target) {
      const rdf = this.packet.rdf;
      if (rdf.selfClosing) throw new XmpStructureError('rdf:RDF is empty and self-closing');
      const indent = this.childIndent(rdf);
      const about = `${prefixes.rdf}:about=""`;
      const text = `<${prefixes.rdf}:Description ${about}${declaration}>${properties(indent + this.layout.unit)}${nl}${indent}</${prefixes.rdf}:Description>`;
      this.insertAsLastChild(rdf, nl + indent + text);
      return;
    }
    const childIndent = this.childIndent(target);
    if (target.selfClosing) {
      const text = `${declaration}>${properties(childIndent)}${nl}${lineIndentAt(this.source, target.start)}</${target.qname}>`;
      this.splices.push({ start: target.attributesEnd, end: target.end, text });
      return;
    }
    if (declaration)
      this.splices.push({
        start: target.attributesEnd,
        end: target.attributesEnd,
        text: declaration,
      });
    this.insertAsLastChild(target, properties(childIndent));
  }

  /** Inserts after the last non-blank child, keeping the whitespace before the end tag. */
  private insertAsLastChild(parent: XmlElement, text: string): void {
    const meaningful = parent.children.filter((c) => c.kind !== 'text' || c.value.trim() !== '');
    const at = meaningful.at(-1)?.end ?? parent.startTagEnd;
    const trailing = this.source.slice(at, parent.endTagStart);
    const closeLine = trailing.includes('\n')
      ? ''
      : this.layout.newline + lineIndentAt(this.source, parent.start);
    this.splices.push({ start: at, end: at, text: text + closeLine });
  }

  private appendItems(
    container: XmlElement,
    items: readonly XmlElement[],
    values: readonly string[],
  ): void {
    const rdf = this.rdfPrefix(container);
    const last = items.at(-1);
    if (!last) {
      // Empty (possibly self-closing) container: rebuild just the container.
      const indent = lineIndentAt(this.source, container.start);
      const lines = values.map(
        (v) => `${indent}${this.layout.unit}<${rdf}:li>${escapeXml(v)}</${rdf}:li>`,
      );
      const nl = this.layout.newline;
      const text = `<${container.qname}>${nl}${lines.join(nl)}${nl}${indent}</${container.qname}>`;
      this.splices.push({ start: container.start, end: container.end, text });
      return;
    }
    const separator = this.leadingWhitespace(container, last) || this.layout.newline;
    const text = values.map((v) => `${separator}<${rdf}:li>${escapeXml(v)}</${rdf}:li>`).join('');
    this.splices.push({ start: last.end, end: last.end, text });
  }

  private replaceItemText(item: XmlElement, text: string): void {
    const escaped = escapeXml(text);
    if (item.selfClosing) {
      const startTag = this.source.slice(item.start, item.attributesEnd);
      this.splices.push({
        start: item.start,
        end: item.end,
        text: `${startTag}>${escaped}</${item.qname}>`,
      });
    } else this.splices.push({ start: item.startTagEnd, end: item.endTagStart, text: escaped });
  }

  private replaceProperty(element: XmlElement, value: PropertyValue): void {
    const indent = lineIndentAt(this.source, element.start);
    const text = renderProperty(element.qname, value, this.rdfPrefix(element), indent, this.layout);
    this.splices.push({ start: element.start, end: element.end, text });
  }

  private removeAttribute(location: Extract<PropertyLocation, { form: 'attribute' }>): void {
    this.splices.push({ start: location.attribute.start, end: location.attribute.end, text: '' });
  }

  private rdfPrefix(element: XmlElement): string {
    const prefix = prefixFor(element, NS.rdf, 'rdf');
    if (prefix === null) throw new XmpStructureError('the RDF namespace has no prefix here');
    return prefix;
  }

  /** Indentation for a new child of `parent`, copied from its existing children when it can be. */
  private childIndent(parent: XmlElement): string {
    const firstChild = childElements(parent)[0];
    const copied = firstChild ? lineIndentAt(this.source, firstChild.start) : '';
    return copied || lineIndentAt(this.source, parent.start) + this.layout.unit;
  }

  /** The raw whitespace between `node` and its previous sibling ('' if there is none). */
  private leadingWhitespace(parent: XmlElement, node: XmlNode): string {
    const index = parent.children.indexOf(node);
    const previous = index > 0 ? parent.children[index - 1] : undefined;
    if (previous?.kind !== 'text' || previous.value.trim() !== '') return '';
    return this.source.slice(previous.start, previous.end);
  }
}

type PropertyValue = { kind: 'alt'; text: string } | { kind: 'bag'; items: readonly string[] };

function renderProperties(
  content: XmpContent,
  prefixes: Prefixes,
  indent: string,
  layout: Layout,
): string[] {
  const properties: string[] = [];
  if (content.description !== null) {
    const value: PropertyValue = { kind: 'alt', text: content.description };
    properties.push(
      renderProperty(`${prefixes.dc}:description`, value, prefixes.rdf, indent, layout),
    );
  }
  const subjects = normaliseSubjects(content.subjects);
  if (subjects.length > 0) {
    const value: PropertyValue = { kind: 'bag', items: subjects };
    properties.push(renderProperty(`${prefixes.dc}:subject`, value, prefixes.rdf, indent, layout));
  }
  return properties;
}

/** A property element; the first line carries no indentation (the caller positions it). */
function renderProperty(
  qname: string,
  value: PropertyValue,
  rdf: string,
  indent: string,
  layout: Layout,
): string {
  const inner = indent + layout.unit;
  const item = inner + layout.unit;
  const container = value.kind === 'alt' ? `${rdf}:Alt` : `${rdf}:Bag`;
  const items =
    value.kind === 'alt'
      ? [`${item}<${rdf}:li xml:lang="x-default">${escapeXml(value.text)}</${rdf}:li>`]
      : value.items.map((v) => `${item}<${rdf}:li>${escapeXml(v)}</${rdf}:li>`);
  return [
    `<${qname}>`,
    `${inner}<${container}>`,
    ...items,
    `${inner}</${container}>`,
    `${indent}</${qname}>`,
  ].join(layout.newline);
}

function missingKeywords(existing: readonly string[], wanted: readonly string[]): string[] {
  const present = new Set(existing.map(keywordKey));
  return wanted.filter((keyword) => !present.has(keywordKey(keyword)));
}

/** `preferred`, or `preferred1`, `preferred2`… whichever is not already bound in scope. */
function freePrefix(element: XmlElement, preferred: string): string {
  let candidate = preferred;
  for (let n = 1; element.scope.has(candidate); n++) candidate = `${preferred}${n}`;
  return candidate;
}

function detectIndentUnit(packet: XmpPacket): string {
  const source = packet.doc.source;
  for (const description of packet.descriptions) {
    const child = childElements(description)[0];
    if (!child) continue;
    const outer = lineIndentAt(source, description.start);
    const inner = lineIndentAt(source, child.start);
    if (inner.length > outer.length && inner.startsWith(outer)) return inner.slice(outer.length);
  }
  return ' ';
}
