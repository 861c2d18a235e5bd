import type { FloatTensor } from '../checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { ElemType } from '../onnx/proto.ts';
import { quantizeBlockwise } from './quantize/block-quantize.ts';
import { toFloat16Bits } from './quantize/float16.ts';
import { ACCURACY_LEVEL, QUANT_SCHEME } from './quantize/linear.ts';
import { addQuantizedInitializers, makeMatMulNBits } from './quantize/matmul-nbits.ts';

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

/**
 * Block size of 8-bit tables: rows are quantized in blocks of 32 along the hidden size, the
 * layout `GatherBlockQuantized` (lookups) and `MatMulNBits` bits=8 (lm_head) both read, so one
 * uint8 initializer [vocab, blocks, 32] serves both (checked on onnxruntime 1.30 CPU).
 */
export const TABLE_BLOCK_SIZE = 32;

/** The table in the graph's `format.table`. */
export function makeEmbeddingTable(g: GraphBuilder, table: FloatTensor): EmbeddingTable {
  if (table.shape.length !== 2) throw new Error(`${table.name}: expected a [vocab, hidden] matrix`);
  switch (g.format.table) {
    case 'fp32':
      return floatTable(g, g.weight(table.name, table.data, table.shape));
    case 'fp16': {
      if (g.activationType === ElemType.FLOAT16) {
        return floatTable(g, g.weight(table.name, table.data, table.shape));
      }
      // fp16 on disk in an fp32 graph: cast once (onnxruntime folds the Cast when loading).
      const half = g.tensor(
        table.name,
        new Uint8Array(toFloat16Bits(table.data).buffer),
        table.shape,
        ElemType.FLOAT16,
      );
      return floatTable(g, g.op('Cast', [half], '/embedding_table', { to: ElemType.FLOAT }));
    }
    case 'int8':
      return int8Table(g, table);
  }
}

function floatTable(g: GraphBuilder, weight: string): EmbeddingTable {
  return {
    gather: (scope, ids) => g.op('Gather', [weight, ids], scope, { axis: 0 }),
    // Gemm with transB reads the [vocab, hidden] rows as they are: no transposed copy.
    project: (scope, hidden) => g.op('Gemm', [hidden, weight], scope, { transB: 1 }),
  };
}

function int8Table(g: GraphBuilder, table: FloatTensor): EmbeddingTable {
  const [vocab, hidden] = table.shape as [number, number];
  const q = quantizeBlockwise(table.data, vocab, hidden, 8, TABLE_BLOCK_SIZE, QUANT_SCHEME);
  const init = addQuantizedInitializers(g, table.name, q);
  // GatherBlockQuantized wants scales and zero points with the data's rank ([vocab, blocks, 1]);
  // MatMulNBits wants them flat. Reshaped views of the same initializers: stored once.
  const blockShape = g.constInt64([vocab, q.blocksPerRow, 1]);
  const scales = g.op('Reshape', [init.scales, blockShape], '/embedding_table/scales');
  const zeroPoints = g.op('Reshape', [init.zeroPoints, blockShape], '/embedding_table/zero_points');
  const paddedWidth = q.blocksPerRow * TABLE_BLOCK_SIZE;
  return {
    gather: (scope, ids) => {
      const [blocks] = g.node('GatherBlockQuantized', [init.packed, ids, scales, zeroPoints], {
        name: `${scope}/GatherBlockQuantized`,
        domain: 'com.microsoft',
        attrs: { gather_axis: 0, quantize_axis: 2, block_size: TABLE_BLOCK_SIZE, bits: 8 },
      });
      // [.., blocks, 32] → [.., hidden] (dropping a padded tail when hidden is not a multiple).
      const shape = g.op(
        'Concat',
        [g.op('Shape', [ids], scope), g.constInt64([paddedWidth])],
        scope,
        { axis: 0 },
      );
      const rows = g.op('Reshape', [blocks!, shape], scope);
      if (paddedWidth === hidden) return rows;
      return g.op(
        'Slice',
        [rows, g.constInt64([0]), g.constInt64([hidden]), g.constInt64([-1])],
        scope,
      );
    },
    project: (scope, x) => makeMatMulNBits(g, scope, x, q, init, { accuracyLevel: ACCURACY_LEVEL }),
  };
}
