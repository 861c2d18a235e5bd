// Locating XMP properties inside a parsed RDF/XML packet. XMP allows a property to be written as
// a child element of an rdf:Description or, for simple values, as an attribute on it; both
// forms are recognised so neither is silently duplicated.
import {
  childElements,
  findAttribute,
  isElement,
  textContent,
  type XmlAttribute,
  type XmlDocument,
  type XmlElement,
  XML_NAMESPACE,
} from './xml-document.ts';

export const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  dc: 'http://purl.org/dc/elements/1.1/',
  xmpMeta: 'adobe:ns:meta/',
  lightroom: 'http://ns.adobe.com/lightroom/1.0/',
  digiKam: 'http://www.digikam.org/ns/1.0/',
} as const;

/** A reason the packet cannot be handled safely; the caller turns it into a SidecarError. */
export class XmpStructureError extends Error {
  override name = 'XmpStructureError';
}

export interface XmpPacket {
  readonly doc: XmlDocument;
  readonly rdf: XmlElement;
  readonly descriptions: readonly XmlElement[];
}

export type PropertyLocation =
  | { readonly form: 'element'; readonly description: XmlElement; readonly element: XmlElement }
  | {
      readonly form: 'attribute';
      readonly description: XmlElement;
      readonly attribute: XmlAttribute;
    };

/** rdf:li items of an array; `text` is null for structured items (which we keep but never read). */
export interface ArrayItem {
  readonly element: XmlElement;
  readonly text: string | null;
  readonly lang: string | null;
}

export type PropertyShape =
  | { readonly kind: 'array'; readonly container: XmlElement; readonly items: readonly ArrayItem[] }
  | { readonly kind: 'simple'; readonly text: string }
  | { readonly kind: 'other' };

export function locatePacket(doc: XmlDocument): XmpPacket {
  const rdfElements: XmlElement[] = [];
  const visit = (element: XmlElement): void => {
    if (isElement(element, NS.rdf, 'RDF')) rdfElements.push(element);
    else childElements(element).forEach(visit);
  };
  visit(doc.root);
  if (rdfElements.length !== 1) {
    throw new XmpStructureError(
      rdfElements.length === 0
        ? 'no rdf:RDF element (not an XMP packet)'
        : 'several rdf:RDF elements',
    );
  }
  const rdf = rdfElements[0]!;
  const descriptions = childElements(rdf).filter((el) => isElement(el, NS.rdf, 'Description'));
  return { doc, rdf, descriptions };
}

/** The single place a property is written, or null. Two places is invalid XMP: we refuse. */
export function findProperty(
  packet: XmpPacket,
  namespace: string,
  localName: string,
): PropertyLocation | null {
  const found: PropertyLocation[] = [];
  for (const description of packet.descriptions) {
    const attribute = findAttribute(description, namespace, localName);
    if (attribute) found.push({ form: 'attribute', description, attribute });
    for (const element of childElements(description)) {
      if (isElement(element, namespace, localName))
        found.push({ form: 'element', description, element });
    }
  }
  if (found.length > 1) {
    throw new XmpStructureError(`property {${namespace}}${localName} is written more than once`);
  }
  return found[0] ?? null;
}

export function propertyShape(element: XmlElement): PropertyShape {
  const elements = childElements(element);
  const strayText = element.children.some((c) => c.kind === 'text' && c.value.trim() !== '');
  const rdfAttributes = element.attributes.some((a) => a.namespace === NS.rdf);
  if (elements.length === 0)
    return rdfAttributes ? { kind: 'other' } : { kind: 'simple', text: textContent(element) };
  const container = elements[0]!;
  const isContainer = ['Bag', 'Seq', 'Alt'].some((kind) => isElement(container, NS.rdf, kind));
  if (elements.length > 1 || strayText || rdfAttributes || !isContainer) return { kind: 'other' };
  const itemElements = childElements(container);
  if (itemElements.some((li) => !isElement(li, NS.rdf, 'li'))) return { kind: 'other' };
  const items = itemElements.map((li): ArrayItem => {
    const structured =
      childElements(li).length > 0 || li.attributes.some((a) => a.namespace === NS.rdf);
    return {
      element: li,
      text: structured ? null : textContent(li),
      lang: findAttribute(li, XML_NAMESPACE, 'lang')?.value ?? null,
    };
  });
  return { kind: 'array', container, items };
}

/** Values of an array property (or the single value of a simple one). */
export function readArrayValues(location: PropertyLocation | null): string[] {
  if (!location) return [];
  if (location.form === 'attribute') return [location.attribute.value];
  const shape = propertyShape(location.element);
  if (shape.kind === 'simple') return shape.text.trim() === '' ? [] : [shape.text];
  if (shape.kind === 'array')
    return shape.items.flatMap((item) => (item.text === null ? [] : [item.text]));
  return [];
}

export function isDefaultLanguage(item: ArrayItem): boolean {
  return item.lang?.toLowerCase() === 'x-default';
}

/** The x-default text of a language alternative (falling back to its first entry). */
export function readLangAltDefault(location: PropertyLocation | null): string | null {
  if (!location) return null;
  if (location.form === 'attribute') return location.attribute.value;
  const shape = propertyShape(location.element);
  if (shape.kind === 'simple') return shape.text;
  if (shape.kind !== 'array') return null;
  const chosen = shape.items.find(isDefaultLanguage) ?? shape.items[0];
  return chosen?.text ?? null;
}

/** Key under which two keywords count as the same (case- and normalisation-insensitive). */
export function keywordKey(keyword: string): string {
  return keyword.normalize('NFC').trim().toLowerCase();
}
