import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSidecar, writeSidecar } from '../../../../src-main/library/xmp/sidecar.ts';
import { SidecarError } from '../../../../src-main/library/xmp/sidecar-error.ts';
import {
  childElements,
  findAttribute,
  parseXml,
  type XmlElement,
} from '../../../../src-main/library/xmp/xml-document.ts';

const PHOTO = join(
  import.meta.dirname,
  '../../../fixtures/photos/library/2019/holiday/building.jpg',
);
const NS_XMP = 'http://ns.adobe.com/xap/1.0/';
const NS_DT = 'http://darktable.sf.net/';

// Shaped like what darktable 4.x writes (exiv2 layout: one-space indents, attributes on their
// own lines, history as rdf:Seq of self-closing rdf:li with attributes).
const DARKTABLE_SIDECAR = `<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:darktable="http://darktable.sf.net/"
   exif:DateTimeOriginal="2019:07:14 10:22:31"
   xmp:Rating="3"
   xmpMM:DerivedFrom="building.jpg"
   darktable:import_timestamp="63824512345000000"
   darktable:xmp_version="5"
   darktable:history_end="2"
   darktable:iop_order_version="4">
   <dc:description>
    <rdf:Alt>
     <rdf:li xml:lang="x-default">old caption</rdf:li>
    </rdf:Alt>
   </dc:description>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>holiday</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>places|Lisbon</rdf:li>
     <rdf:li>holiday</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
   <darktable:masks_history>
    <rdf:Seq/>
   </darktable:masks_history>
   <darktable:history>
    <rdf:Seq>
     <rdf:li
      darktable:num="0"
      darktable:operation="exposure"
      darktable:enabled="1"
      darktable:modversion="6"
      darktable:params="0000000000000000000000000000803f0000000000000000"
      darktable:multi_name=""
      darktable:blendop_params="gz10eJxjYGBgYAFiCQYYOOHEgAYY0QWwggZ7CB6pfOygYtaEXYBRvGpAA5rAZA=="/>
     <rdf:li
      darktable:num="1"
      darktable:operation="colorbalancergb"
      darktable:enabled="1"
      darktable:modversion="5"
      darktable:params="9a99193e0000000000000000cdcc4c3e"
      darktable:multi_name="&lt;vivid&gt;"
      darktable:blendop_params="gz11eJxjYGBgYAFiCQYYOOHEgAYY0QWwggZ7CB6pfOygYtaEXYBRvGpAA5rAZA=="/>
    </rdf:Seq>
   </darktable:history>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
`;

let dir: string;
let image: string;
let imageFingerprint: string;

async function fingerprint(path: string): Promise<string> {
  const info = await stat(path);
  const hash = createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
  return `${hash} ${info.mtimeMs} ${info.size}`;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sightline-xmp-'));
  image = join(dir, 'building.jpg');
  await copyFile(PHOTO, image);
  imageFingerprint = await fingerprint(image);
});

afterEach(async () => {
  // Whatever a test did, the photo itself must be byte-identical with an unchanged mtime, and
  // no temporary files may be left behind.
  expect(await fingerprint(image)).toBe(imageFingerprint);
  expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  await rm(dir, { recursive: true, force: true });
});

function descriptionOf(xml: string): XmlElement {
  const rdf = childElements(parseXml(xml).root)[0]!;
  return childElements(rdf)[0]!;
}

function childNamed(parent: XmlElement, localName: string): XmlElement | undefined {
  return childElements(parent).find((el) => el.localName === localName);
}

describe('writeSidecar: new sidecars', () => {
  it('creates photo.jpg.xmp for a JPEG by default and reads it back', async () => {
    const result = await writeSidecar(image, {
      description: 'A tall building',
      subjects: ['building', 'sky'],
    });
    expect(result).toEqual({ path: `${image}.xmp`, action: 'created' });
    expect(await readSidecar(image)).toEqual({
      path: `${image}.xmp`,
      description: 'A tall building',
      subjects: ['building', 'sky'],
    });
    const xml = await readFile(result.path, 'utf8');
    const description = descriptionOf(xml);
    const alt = childElements(childNamed(description, 'description')!)[0]!;
    expect(alt.localName).toBe('Alt');
    const li = childElements(alt)[0]!;
    expect(findAttribute(li, 'http://www.w3.org/XML/1998/namespace', 'lang')?.value).toBe(
      'x-default',
    );
    expect(childElements(childNamed(description, 'subject')!)[0]!.localName).toBe('Bag');
  });

  it('creates photo.xmp when asked to replace the extension', async () => {
    const result = await writeSidecar(
      image,
      { description: 'caption', subjects: [] },
      { naming: 'replace-extension' },
    );
    expect(result).toEqual({ path: join(dir, 'building.xmp'), action: 'created' });
    expect(await readdir(dir)).not.toContain('building.jpg.xmp');
    const read = await readSidecar(image, { naming: 'replace-extension' });
    expect(read?.description).toBe('caption');
    expect(read?.subjects).toEqual([]);
  });

  it('creates basename.xmp for RAW files by default (what Lightroom reads)', async () => {
    const raw = join(dir, 'IMG_0001.CR2');
    await writeFile(raw, Buffer.from([0x49, 0x49, 0x2a, 0x00]));
    const rawFingerprint = await fingerprint(raw);
    const result = await writeSidecar(raw, { description: null, subjects: ['cat'] });
    expect(result).toEqual({ path: join(dir, 'IMG_0001.xmp'), action: 'created' });
    expect((await readSidecar(raw))?.subjects).toEqual(['cat']);
    expect(await fingerprint(raw)).toBe(rawFingerprint);
  });

  it('creates nothing when there is nothing to write', async () => {
    const result = await writeSidecar(image, { description: null, subjects: [' ', ''] });
    expect(result.action).toBe('unchanged');
    expect(await readdir(dir)).toEqual(['building.jpg']);
    expect(await readSidecar(image)).toBeNull();
  });
});

describe('writeSidecar: choosing an existing sidecar', () => {
  it('updates an existing basename.xmp that can only belong to this image', async () => {
    const existing = join(dir, 'building.xmp');
    await writeFile(existing, DARKTABLE_SIDECAR);
    const result = await writeSidecar(image, { description: 'new', subjects: [] });
    expect(result).toEqual({ path: existing, action: 'updated' });
    expect(await readdir(dir)).not.toContain('building.jpg.xmp');
  });

  it('leaves basename.xmp alone when it belongs to a RAW sibling', async () => {
    const rawSidecar = join(dir, 'building.xmp');
    await writeFile(join(dir, 'building.nef'), 'raw');
    await writeFile(rawSidecar, DARKTABLE_SIDECAR);
    const result = await writeSidecar(image, { description: 'new', subjects: [] });
    expect(result).toEqual({ path: `${image}.xmp`, action: 'created' });
    expect(await readFile(rawSidecar, 'utf8')).toBe(DARKTABLE_SIDECAR);
  });

  it('prefers photo.jpg.xmp when both names exist', async () => {
    await writeFile(`${image}.xmp`, DARKTABLE_SIDECAR);
    await writeFile(join(dir, 'building.xmp'), DARKTABLE_SIDECAR);
    expect((await writeSidecar(image, { description: 'new', subjects: [] })).path).toBe(
      `${image}.xmp`,
    );
    expect(await readFile(join(dir, 'building.xmp'), 'utf8')).toBe(DARKTABLE_SIDECAR);
  });

  it('refuses to treat an .xmp file as an image', async () => {
    await expect(
      writeSidecar(`${image}.xmp`, { description: 'x', subjects: [] }),
    ).rejects.toMatchObject({
      reason: 'invalid-image-path',
    });
  });
});

describe('writeSidecar: updating a darktable sidecar', () => {
  const content = {
    description: 'A white building under a blue sky',
    subjects: ['building', 'Holiday', 'sky'],
  };

  it('replaces the description, merges keywords and preserves everything else byte-for-byte', async () => {
    const path = `${image}.xmp`;
    await writeFile(path, DARKTABLE_SIDECAR);
    expect(await writeSidecar(image, content)).toEqual({ path, action: 'updated' });
    const updated = await readFile(path, 'utf8');

    expect(await readSidecar(image)).toEqual({
      path,
      description: content.description,
      subjects: ['holiday', 'building', 'sky'], // the user's spelling of "holiday" is kept
    });
    // Undo exactly our changes: the caption text and the lines holding added keywords. What is
    // left must be the original file, so nothing else (history, rating, layout) was touched.
    const reverted = updated
      .replace(content.description, 'old caption')
      .split('\n')
      .filter((line) => !/<rdf:li>(building|sky)<\/rdf:li>/.test(line))
      .join('\n');
    expect(reverted).toBe(DARKTABLE_SIDECAR);
    // New keywords are laid out like the user's existing ones.
    const holidayLine = DARKTABLE_SIDECAR.split('\n').find((l) => l.includes('<rdf:li>holiday<'))!;
    const added = ['building', 'sky'].map((k) => holidayLine.replace('holiday', k));
    expect(updated).toContain([holidayLine, ...added].join('\n'));

    const description = descriptionOf(updated);
    expect(findAttribute(description, NS_XMP, 'Rating')?.value).toBe('3');
    expect(
      findAttribute(description, 'http://ns.adobe.com/xap/1.0/mm/', 'DerivedFrom')?.value,
    ).toBe('building.jpg');
    const history = childElements(childElements(childNamed(description, 'history')!)[0]!);
    expect(history.map((li) => findAttribute(li, NS_DT, 'operation')?.value)).toEqual([
      'exposure',
      'colorbalancergb',
    ]);
    expect(findAttribute(history[1]!, NS_DT, 'multi_name')?.value).toBe('<vivid>');
    // darktable and Lightroom read lr:hierarchicalSubject: our keywords are added there too.
    const hierarchical = childElements(
      childElements(childNamed(description, 'hierarchicalSubject')!)[0]!,
    );
    expect(hierarchical.map((li) => updated.slice(li.startTagEnd, li.endTagStart))).toEqual([
      'places|Lisbon',
      'holiday',
      'building',
      'sky',
    ]);
  });

  it('is idempotent: a second identical write reports unchanged and rewrites nothing', async () => {
    const path = `${image}.xmp`;
    await writeFile(path, DARKTABLE_SIDECAR);
    await writeSidecar(image, content);
    const first = await fingerprint(path);
    expect(await writeSidecar(image, content)).toEqual({ path, action: 'unchanged' });
    expect(await writeSidecar(image, { description: null, subjects: ['SKY', 'holiday'] })).toEqual({
      path,
      action: 'unchanged',
    });
    expect(await fingerprint(path)).toBe(first);
  });

  it('keeps the existing description when the new one is null', async () => {
    await writeFile(`${image}.xmp`, DARKTABLE_SIDECAR);
    await writeSidecar(image, { description: null, subjects: ['tower'] });
    const read = await readSidecar(image);
    expect(read?.description).toBe('old caption');
    expect(read?.subjects).toEqual(['holiday', 'tower']);
  });

  it('keeps CRLF line endings', async () => {
    await writeFile(`${image}.xmp`, DARKTABLE_SIDECAR.replace(/\n/g, '\r\n'));
    await writeSidecar(image, content);
    const updated = await readFile(`${image}.xmp`, 'utf8');
    expect(updated.split('\r\n').join('')).not.toContain('\n');
    expect((await readSidecar(image))?.subjects).toEqual(['holiday', 'building', 'sky']);
  });
});

describe('writeSidecar: other sidecar shapes', () => {
  it('moves attribute-form dc properties into elements and keeps other attributes', async () => {
    const xml =
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
      '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" ' +
      'dc:description="old" xmp:Rating="4" dc:subject="kept"/></rdf:RDF></x:xmpmeta>';
    await writeFile(`${image}.xmp`, xml);
    expect((await writeSidecar(image, { description: 'new', subjects: ['added'] })).action).toBe(
      'updated',
    );
    const updated = await readFile(`${image}.xmp`, 'utf8');
    expect(await readSidecar(image)).toMatchObject({
      description: 'new',
      subjects: ['kept', 'added'],
    });
    const description = descriptionOf(updated);
    expect(findAttribute(description, NS_XMP, 'Rating')?.value).toBe('4');
    expect(
      findAttribute(description, 'http://purl.org/dc/elements/1.1/', 'description'),
    ).toBeUndefined();
    expect(await writeSidecar(image, { description: 'new', subjects: ['added'] })).toMatchObject({
      action: 'unchanged',
    });
  });

  it('declares the dc namespace where a Lightroom-style sidecar lacks it', async () => {
    const xml = `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 5.6-c140">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   crs:Version="15.0"
   crs:Exposure2012="+0.35">
   <crs:ToneCurvePV2012>
    <rdf:Seq>
     <rdf:li>0, 0</rdf:li>
     <rdf:li>255, 255</rdf:li>
    </rdf:Seq>
   </crs:ToneCurvePV2012>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
`;
    await writeFile(`${image}.xmp`, xml);
    await writeSidecar(image, { description: 'caption', subjects: ['one'] });
    const updated = await readFile(`${image}.xmp`, 'utf8');
    expect(await readSidecar(image)).toMatchObject({ description: 'caption', subjects: ['one'] });
    expect(updated).toContain(
      'crs:Exposure2012="+0.35" xmlns:dc="http://purl.org/dc/elements/1.1/">',
    );
    // Minus the declaration and the new dc block, the file is exactly what it was.
    const added = updated.slice(
      updated.indexOf('   <dc:description>'),
      updated.indexOf('  </rdf:Description>'),
    );
    expect(
      updated.replace(added, '').replace(' xmlns:dc="http://purl.org/dc/elements/1.1/"', ''),
    ).toBe(xml);
  });

  it('updates translations that mirrored the old default and keeps real ones', async () => {
    const xml = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt>
<rdf:li xml:lang="x-default">old</rdf:li>
<rdf:li xml:lang="en-US">old</rdf:li>
<rdf:li xml:lang="de">alt</rdf:li>
</rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>`;
    await writeFile(`${image}.xmp`, xml);
    await writeSidecar(image, { description: 'new', subjects: [] });
    expect(await readFile(`${image}.xmp`, 'utf8')).toBe(xml.replace(/>old</g, '>new<'));
  });

  it('round-trips markup characters, emoji and non-Latin text', async () => {
    const description = `Tom & Jerry's "<b>" party 🎉\r\nТокио 東京 ελληνικά`;
    const subjects = ['A&B', '<tag>', '"quoted"', "it's", '猫', '🐶 dog', 'Ünïcødé'];
    await writeSidecar(image, { description, subjects });
    expect(await readSidecar(image)).toMatchObject({ description, subjects });
    await writeFile(`${image}.xmp`, await readFile(`${image}.xmp`)); // same bytes, fresh mtime
    expect((await writeSidecar(image, { description, subjects })).action).toBe('unchanged');
  });

  it('reads and updates an exiftool-style packet with BOM, xpacket wrapper and references', async () => {
    const xml = `\uFEFF<?xpacket begin='\uFEFF' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x='adobe:ns:meta/' x:xmptk='Image::ExifTool 12.76'>
<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>

 <rdf:Description rdf:about=''
  xmlns:dc='http://purl.org/dc/elements/1.1/'>
  <dc:subject>
   <rdf:Bag>
    <rdf:li>smile &#x1F600;</rdf:li>
    <rdf:li><![CDATA[a<b]]></rdf:li>
   </rdf:Bag>
  </dc:subject>
 </rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end='w'?>`;
    await writeFile(`${image}.xmp`, xml);
    expect(await readSidecar(image)).toMatchObject({
      description: null,
      subjects: ['smile 😀', 'a<b'],
    });
    expect(
      (await writeSidecar(image, { description: null, subjects: ['a<b', 'new'] })).action,
    ).toBe('updated');
    const updated = await readFile(`${image}.xmp`, 'utf8');
    expect(updated).toBe(
      xml.replace('<![CDATA[a<b]]></rdf:li>', '<![CDATA[a<b]]></rdf:li>\n    <rdf:li>new</rdf:li>'),
    );
  });

  it('drops characters XML cannot represent instead of writing a broken file', async () => {
    await writeSidecar(image, { description: 'bell\u0007 here', subjects: ['\u0001'] });
    expect(await readSidecar(image)).toMatchObject({ description: 'bell here', subjects: [] });
  });
});

describe('writeSidecar: sidecars it must not touch', () => {
  it.each([
    [
      'mismatched tags',
      DARKTABLE_SIDECAR.replace('</rdf:Bag>\n   </dc:subject>', '</dc:subject>'),
      'unparseable',
    ],
    ['truncated file', DARKTABLE_SIDECAR.slice(0, 600), 'unparseable'],
    ['empty file', '', 'unparseable'],
    [
      'a DTD with entities',
      `<!DOCTYPE x [<!ENTITY a "b">]>${DARKTABLE_SIDECAR.slice(39)}`,
      'unparseable',
    ],
    ['not XMP at all', '<html><body>hello</body></html>', 'unsupported-structure'],
    [
      'dc:subject written twice',
      DARKTABLE_SIDECAR.replace('xmp:Rating="3"', 'xmp:Rating="3" dc:subject="dup"'),
      'unsupported-structure',
    ],
  ])('leaves a sidecar with %s untouched and says why', async (_name, xml, reason) => {
    const path = `${image}.xmp`;
    await writeFile(path, xml);
    const before = await fingerprint(path);
    const error = await writeSidecar(image, { description: 'new', subjects: ['kw'] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SidecarError);
    expect(error).toMatchObject({ reason, sidecarPath: path });
    expect((error as Error).message).toContain('left untouched');
    expect(await fingerprint(path)).toBe(before);
  });

  it('rejects invalid UTF-8 without writing', async () => {
    const path = `${image}.xmp`;
    const bytes = Buffer.concat([
      Buffer.from(DARKTABLE_SIDECAR.slice(0, 200)),
      Buffer.from([0xc3, 0x28]),
    ]);
    await writeFile(path, bytes);
    await expect(writeSidecar(image, { description: 'x', subjects: [] })).rejects.toMatchObject({
      reason: 'unparseable',
    });
    expect((await readFile(path)).equals(bytes)).toBe(true);
  });
});
