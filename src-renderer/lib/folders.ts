// "Browse…": the native folder picker where the shell has one, then each chosen folder is added.
import type { LibraryRoot } from '../../src-main/shared/contract.ts';
import { errorMessage } from './format.ts';

export interface BrowseResult {
  /** False in the browser build: the user has to type the path. */
  supported: boolean;
  added: LibraryRoot[];
  /** One message per folder that could not be added. */
  errors: string[];
}

export async function browseAndAddFolders(): Promise<BrowseResult> {
  const picked = await window.sightline.pickFolders();
  const added: LibraryRoot[] = [];
  const errors: string[] = [];
  for (const path of picked.paths) {
    try {
      added.push(await window.sightline.addRoot({ path }));
    } catch (cause) {
      errors.push(`${path}: ${errorMessage(cause)}`);
    }
  }
  return { supported: picked.supported, added, errors };
}
