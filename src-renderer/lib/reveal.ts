// "Show in folder": the desktop shell opens the file manager; elsewhere the path is all we can give.
import { errorMessage } from './format.ts';

export interface RevealOutcome {
  /** What to tell the user; null when the file manager was opened. */
  message: string | null;
  /** The file's path, offered for copying when it could not be revealed. */
  path: string | null;
}

export async function revealPhoto(photoId: number): Promise<RevealOutcome> {
  try {
    const result = await window.sightline.showInFolder({ photoId });
    if (result.revealed) return { message: null, path: null };
    return { message: `The file is at ${result.path}`, path: result.path };
  } catch (cause) {
    return { message: `Could not show the file: ${errorMessage(cause)}`, path: null };
  }
}

/** The same for a file that is no photo (one that failed to index). */
export async function revealFile(path: string): Promise<RevealOutcome> {
  try {
    const result = await window.sightline.showFileInFolder({ path });
    if (result.revealed) return { message: null, path: null };
    return { message: `The file is at ${result.path}`, path: result.path };
  } catch (cause) {
    return { message: `Could not show the file: ${errorMessage(cause)}`, path: null };
  }
}
