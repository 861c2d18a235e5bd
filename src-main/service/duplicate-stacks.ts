import { differenceHash } from '../library/duplicates/perceptual-hash.ts';
import { stackNearDuplicates } from '../library/duplicates/stacks.ts';
import type { LibraryDatabase } from '../library/db/database.ts';
import { VISIBLE_PHOTO, photoPaths } from '../library/queries/photo-fields.ts';
import { AppError } from '../shared/app-error.ts';
import type { DuplicateStack } from '../shared/app-schemas.ts';
import { photoUrl } from '../shared/photo-urls.ts';

/** Photos the user chose to show for their stacks, latest pick last (a `settings` row). */
const SHOWN_KEY = 'duplicate-stacks.shown';

/**
 * Thumbnails hashed while a caller waits. A hash costs about 3.5 ms (one 512 px JPEG decode,
 * measured on the 2-core dev machine), so this bounds the wait near 2 s; a bigger backlog (the
 * first start on a large library) is hashed in the background and announced when done.
 */
const HASH_WHILE_WAITING = 500;

export interface Stack {
  photoIds: number[];
  shown: number;
  /** Files of every member: what the count badge says. */
  files: number;
}

export interface StackIndex {
  stacks: Stack[];
  /** Photos in a stack of more than one file, to their stack. */
  byPhoto: Map<number, Stack>;
  /** Members the grid and results leave out (every member but the shown one). */
  hidden: number[];
}

interface PhotoRow {
  id: number;
  thumbnail: string;
  pixels: number;
  byteSize: number;
  files: number;
}

/**
 * Duplicate stacks: exact copies are one photo with several files already (photos are keyed
 * by content hash); near copies (another format, size or compression) are photos whose
 * thumbnails' difference hashes are close. Hashes are kept in memory per thumbnail and the
 * stacks rebuilt lazily after the library changed.
 */
export class DuplicateStacks {
  private readonly hashes = new Map<number, { thumbnail: string; hash: bigint }>();
  private cached: StackIndex | null = null;
  private generation = 0;
  private backlog: Promise<void> | null = null;

  /**
   * `onRestacked`: stacks changed after background hashing (the screens should reload).
   * `hashWhileWaiting`: the most thumbnails hashed while a caller waits.
   */
  constructor(
    private readonly db: LibraryDatabase,
    private readonly onRestacked: () => void = () => undefined,
    private readonly hashWhileWaiting = HASH_WHILE_WAITING,
  ) {}

  photosChanged(): void {
    this.cached = null;
    this.generation++;
  }

  async index(): Promise<StackIndex> {
    if (this.cached) return this.cached;
    const generation = this.generation;
    const rows = this.db
      .prepare<[], PhotoRow>(
        `SELECT p.id AS id, p.thumbnail_path AS thumbnail,
                coalesce(p.width, 0) * coalesce(p.height, 0) AS pixels, p.byte_size AS byteSize,
                (SELECT count(*) FROM files f WHERE f.photo_id = p.id AND f.status != 'missing') AS files
         FROM photos p WHERE ${VISIBLE_PHOTO} AND p.thumbnail_path IS NOT NULL`,
      )
      .all();
    const unhashed = rows.filter((row) => this.hashes.get(row.id)?.thumbnail !== row.thumbnail);
    if (unhashed.length <= this.hashWhileWaiting) await this.hash(unhashed);
    else this.hashInBackground(unhashed);
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of this.hashes.keys()) if (!byId.has(id)) this.hashes.delete(id);
    const near = stackNearDuplicates(
      [...this.hashes.entries()].map(([photoId, { hash }]) => ({ photoId, hash })),
    );
    const inNear = new Set(near.flat());
    const exactOnly = rows
      .filter((row) => row.files > 1 && !inNear.has(row.id))
      .map((row) => [row.id]);
    const picked = this.shownPicks();
    const stacks = [...near, ...exactOnly].map((photoIds): Stack => {
      const members = photoIds.map((id) => byId.get(id)!);
      const pick = [...picked].reverse().find((id) => photoIds.includes(id));
      const largest = [...members].sort(
        (a, b) => b.pixels - a.pixels || b.byteSize - a.byteSize || a.id - b.id,
      )[0]!;
      return {
        photoIds,
        shown: pick ?? largest.id,
        files: members.reduce((sum, member) => sum + member.files, 0),
      };
    });
    const index: StackIndex = {
      stacks,
      byPhoto: new Map(stacks.flatMap((stack) => stack.photoIds.map((id) => [id, stack] as const))),
      hidden: stacks.flatMap((stack) => stack.photoIds.filter((id) => id !== stack.shown)),
    };
    if (generation === this.generation) this.cached = index;
    return index;
  }

  private async hash(rows: readonly PhotoRow[]): Promise<void> {
    for (const row of rows) {
      try {
        this.hashes.set(row.id, {
          thumbnail: row.thumbnail,
          hash: await differenceHash(row.thumbnail),
        });
      } catch {
        // A thumbnail that cannot be read stacks with nothing; the photo still shows.
        this.hashes.delete(row.id);
      }
    }
  }

  private hashInBackground(rows: readonly PhotoRow[]): void {
    if (this.backlog) return;
    this.backlog = this.hash(rows).finally(() => {
      this.backlog = null;
      this.photosChanged();
      this.onRestacked();
    });
  }

  /** The stacks with what a person needs to choose: sizes, formats, dates, files. */
  async list(urlPrefix: string): Promise<DuplicateStack[]> {
    const { stacks } = await this.index();
    const paths = photoPaths(this.db);
    const details = this.db.prepare<
      [number],
      {
        format: string | null;
        width: number | null;
        height: number | null;
        byteSize: number;
        takenAt: string | null;
      }
    >(
      `SELECT format, width, height, byte_size AS byteSize, taken_at AS takenAt
       FROM photos WHERE id = ?`,
    );
    return stacks.map((stack) => ({
      shownPhotoId: stack.shown,
      members: stack.photoIds.map((photoId) => ({
        photoId,
        thumbnailUrl: photoUrl(urlPrefix, 'thumbnail', photoId),
        paths: paths.get(photoId) ?? [],
        ...details.get(photoId)!,
      })),
    }));
  }

  /** Shows this photo for its stack from now on (nothing is deleted, on disk or in the library). */
  async show(photoId: number): Promise<void> {
    const stack = (await this.index()).byPhoto.get(photoId);
    if (!stack) throw new AppError('not-found', `photo ${photoId} is in no duplicate stack`);
    const picks = this.shownPicks().filter((id) => !stack.photoIds.includes(id));
    this.db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(SHOWN_KEY, JSON.stringify([...picks, photoId]));
    this.photosChanged();
  }

  private shownPicks(): number[] {
    const row = this.db
      .prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?')
      .get(SHOWN_KEY);
    return row ? (JSON.parse(row.value) as number[]) : [];
  }
}
