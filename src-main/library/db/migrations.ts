/**
 * Versioned schema. Each migration runs once, in order, inside a transaction; applied versions
 * are recorded in `schema_migrations`. Never edit a released migration: add a new one.
 *
 * Design notes:
 * - A photo is its content (sha256 of the bytes): moved, renamed or duplicated files point at the
 *   same photo, so they cost no inference.
 * - Embeddings live canonically in `embeddings` (fp16 blobs keyed by model); every vector index is
 *   derived from them and can be rebuilt.
 * - `files.status` + `file_errors` + `jobs` are the indexer's durable state: a crash at any moment
 *   leaves either a whole batch committed or none of it.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'library',
    sql: `
CREATE TABLE roots (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  include_globs TEXT NOT NULL DEFAULT '[]',
  exclude_globs TEXT NOT NULL DEFAULT '[]',
  added_at INTEGER NOT NULL
);

CREATE TABLE photos (
  id INTEGER PRIMARY KEY,
  content_hash TEXT NOT NULL UNIQUE,
  byte_size INTEGER NOT NULL,
  format TEXT,
  width INTEGER,
  height INTEGER,
  orientation INTEGER,
  taken_at TEXT,
  camera_make TEXT,
  camera_model TEXT,
  gps_latitude REAL,
  gps_longitude REAL,
  keywords TEXT NOT NULL DEFAULT '[]',
  description TEXT,
  thumbnail_path TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX photos_taken_at ON photos(taken_at);
CREATE INDEX photos_camera ON photos(camera_model);

CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  root_id INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
  path TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  content_hash TEXT,
  photo_id INTEGER REFERENCES photos(id) ON DELETE SET NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'indexed', 'error', 'missing')),
  updated_at INTEGER NOT NULL
);
CREATE INDEX files_photo ON files(photo_id);
CREATE INDEX files_status ON files(status);
CREATE INDEX files_hash ON files(content_hash);

CREATE TABLE file_errors (
  file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
  stage TEXT NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL
);

CREATE TABLE captions (
  id INTEGER PRIMARY KEY,
  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('model', 'user')),
  model_key TEXT NOT NULL DEFAULT '',
  score REAL,
  created_at INTEGER NOT NULL,
  UNIQUE (photo_id, source, model_key)
);

CREATE TABLE tags (
  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('user', 'zero-shot', 'caption', 'keyword')),
  model_key TEXT NOT NULL DEFAULT '',
  score REAL,
  PRIMARY KEY (photo_id, tag, source)
);
CREATE INDEX tags_tag ON tags(tag);

CREATE TABLE embeddings (
  photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
  model_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  rows INTEGER NOT NULL,
  cols INTEGER NOT NULL,
  vectors BLOB NOT NULL,
  PRIMARY KEY (photo_id, model_key, kind)
);

CREATE TABLE models (
  model_key TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('caption', 'search')),
  dir TEXT NOT NULL,
  repo_id TEXT,
  revision TEXT,
  vision_fingerprint TEXT NOT NULL,
  registered_at INTEGER NOT NULL
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'done', 'cancelled', 'failed')),
  params TEXT NOT NULL DEFAULT '{}',
  done INTEGER NOT NULL DEFAULT 0,
  total INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  message TEXT
);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Full-text search over what people type: captions, tags, file names, existing keywords.
-- Contentless-delete so rows can be replaced by photo id.
CREATE VIRTUAL TABLE photo_text USING fts5(
  caption, tags, filenames, keywords,
  content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);
`,
  },
];
