// Image files the user opened with Sightline ("Open with", a path on the command line). They may
// lie outside every library folder, so they are served by number (`opened/<n>` photo URLs), and
// only the exact files the shell reported are ever reachable that way.
import { existsSync, statSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { IMAGE_EXTENSIONS } from '../library/media/photo-formats.ts';
import type { OpenedFile } from '../shared/app-schemas.ts';
import { photoUrl } from '../shared/photo-urls.ts';
import { contentTypeOf } from './content-types.ts';

const imageExtensions = new Set<string>(IMAGE_EXTENSIONS);
const extensionOf = (path: string): string => extname(path).slice(1).toLowerCase();

export class OpenedFiles {
  /** Index + 1 is the file's number in its URL. */
  private readonly paths: string[] = [];

  /** Accepts absolute paths of existing image files (others are ignored); returns the new ones. */
  add(paths: readonly string[], urlPrefix: string): OpenedFile[] {
    const added: OpenedFile[] = [];
    for (const given of paths) {
      if (!isAbsolute(given)) continue;
      const path = resolve(given);
      if (!imageExtensions.has(extensionOf(path))) continue;
      if (!existsSync(path) || !statSync(path).isFile()) continue;
      let index = this.paths.indexOf(path);
      if (index === -1) index = this.paths.push(path) - 1;
      added.push(this.entry(index, urlPrefix));
    }
    return added;
  }

  list(urlPrefix: string): OpenedFile[] {
    return this.paths.map((_path, index) => this.entry(index, urlPrefix));
  }

  /** The file behind `opened/<number>`, while it still exists. */
  file(number: number): { path: string; contentType: string } | null {
    const path = this.paths[number - 1];
    if (path === undefined || !existsSync(path)) return null;
    return { path, contentType: contentTypeOf(path) };
  }

  private entry(index: number, urlPrefix: string): OpenedFile {
    return { path: this.paths[index]!, url: photoUrl(urlPrefix, 'opened', index + 1) };
  }
}
