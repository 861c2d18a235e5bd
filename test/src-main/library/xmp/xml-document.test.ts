import { describe, expect, it } from 'vitest';
import {
  childElements,
  parseXml,
  textContent,
} from '../../../../src-main/library/xmp/xml-document.ts';
import { XmlSyntaxError } from '../../../../src-main/library/xmp/xml-text.ts';

const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

describe('parseXml', () => {
  it('records ranges that slice back to the exact source of each part', () => {
    const source =
      '<?xml version="1.0"?>\n<r:RDF xmlns:r="' +
      RDF +
      '">\n <r:li  a="1"\n  b=\'2\' >x &amp; <![CDATA[<y>]]></r:li><r:Bag/>\n</r:RDF>\n';
    const doc = parseXml(source);
    expect(doc.root.namespace).toBe(RDF);
    expect(doc.root.localName).toBe('RDF');
    const [li, bag] = childElements(doc.root);
    expect(source.slice(li!.start, li!.end)).toBe(
      '<r:li  a="1"\n  b=\'2\' >x &amp; <![CDATA[<y>]]></r:li>',
    );
    expect(source.slice(li!.start, li!.attributesEnd)).toBe('<r:li  a="1"\n  b=\'2\'');
    expect(source.slice(li!.startTagEnd, li!.endTagStart)).toBe('x &amp; <![CDATA[<y>]]>');
    expect(textContent(li!)).toBe('x & <y>');
    expect(li!.attributes.map((a) => source.slice(a.start, a.end))).toEqual([
      '  a="1"',
      "\n  b='2'",
    ]);
    expect(bag!.selfClosing).toBe(true);
    expect(source.slice(bag!.start, bag!.end)).toBe('<r:Bag/>');
  });

  it('resolves namespaces per element scope, including redefinitions', () => {
    const doc = parseXml('<a xmlns="urn:1" xmlns:p="urn:p"><p:b xmlns:p="urn:q" p:c="1"/><b/></a>');
    const [first, second] = childElements(doc.root);
    expect(first!.namespace).toBe('urn:q');
    expect(first!.attributes.find((a) => a.localName === 'c')!.namespace).toBe('urn:q');
    expect(second!.namespace).toBe('urn:1');
  });

  it('decodes numeric references, including astral code points', () => {
    const doc = parseXml('<a t="&#x1F600;&#233;">&#x6771;&#20140;&lt;&apos;</a>');
    expect(doc.root.attributes[0]!.value).toBe('😀é');
    expect(textContent(doc.root)).toBe("東京<'");
  });

  it.each([
    ['mismatched end tag', '<a><b></a></b>'],
    ['unterminated element', '<a><b></b>'],
    ['undeclared prefix', '<a><x:b/></a>'],
    ['unknown entity', '<a>&nbsp;</a>'],
    ['bare ampersand', '<a>Tom & Jerry</a>'],
    ['document type declaration', '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'],
    ['two roots', '<a/><b/>'],
    ['text after the root', '<a/>junk'],
    ['duplicate attribute', '<a x="1" x="2"/>'],
    ['duplicate expanded attribute name', '<a xmlns:p="urn:1" xmlns:q="urn:1" p:x="1" q:x="2"/>'],
    ['< in attribute value', '<a x="<"/>'],
    ['unquoted attribute', '<a x=1/>'],
    ['empty document', ''],
    ['invalid character reference', '<a>&#0;</a>'],
  ])('rejects %s', (_name, source) => {
    expect(() => parseXml(source)).toThrow(XmlSyntaxError);
  });
});
