import type { FloatTensor } from '../checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../onnx/graph-builder.ts';

/**
 * A token-embedding matrix [vocab, hidden] stored once in a graph and used both ways: rows looked
 * up for input ids, and (tied lm_head) hidden states projected onto every row. Keeping one
 * initializer is what stops the table being written — and loaded — twice.
 */
export interface EmbeddingTable {
  /** ids [..] int64 → embeddings [.., hidden]. */
  gather(scope: string, ids: string): string;
  /** hidden [rows, hidden] (2-D) → logits [rows, vocab]. */
  project(scope: string, hidden: string): string;
}

/** The table in the graph's `format.table` (fp32 here; the quantized formats build on this). */
export function makeEmbeddingTable(g: GraphBuilder, table: FloatTensor): EmbeddingTable {
  if (table.shape.length !== 2) throw new Error(`${table.name}: expected a [vocab, hidden] matrix`);
  if (g.format.table !== 'fp32') {
    throw new Error(`${table.name}: table format ${g.format.table} is not implemented yet`);
  }
  const weight = g.weight(table.name, table.data, table.shape);
  return {
    gather: (scope, ids) => g.op('Gather', [weight, ids], scope, { axis: 0 }),
    // Gemm with transB reads the [vocab, hidden] rows as they are: no transposed copy.
    project: (scope, hidden) => g.op('Gemm', [hidden, weight], scope, { transB: 1 }),
  };
}
