/**
 * Validation shared by every engine, run before any native call: Faiss reports bad input with a
 * C++ exception that aborts the whole process, so nothing malformed may ever reach sqlite-vss.
 */

export class VectorSearchInputError extends RangeError {
  override readonly name = 'VectorSearchInputError';
}

export function validateQuery(query: Float32Array, dimensions: number): void {
  if (!(query instanceof Float32Array)) {
    throw new VectorSearchInputError('query must be a Float32Array');
  }
  if (query.length !== dimensions) {
    throw new VectorSearchInputError(
      `query has ${query.length} dimensions, the index has ${dimensions}`,
    );
  }
  for (let i = 0; i < query.length; i++) {
    if (!Number.isFinite(query[i]!)) {
      throw new VectorSearchInputError(`query value ${i} is not finite (${query[i]})`);
    }
  }
}

export function validateK(k: number): void {
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new VectorSearchInputError(`k must be a positive integer (got ${k})`);
  }
}

export function validateShape(dimensions: number, rows: number): void {
  if (!Number.isSafeInteger(dimensions) || dimensions < 1) {
    throw new VectorSearchInputError(`dimensions must be a positive integer (got ${dimensions})`);
  }
  if (!Number.isSafeInteger(rows) || rows < 1) {
    throw new VectorSearchInputError(`rows must be a positive integer (got ${rows})`);
  }
}
