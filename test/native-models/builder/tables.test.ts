import { describe, expect, it } from 'vitest';
import type { GraphFormat, TableFormat } from '../../../native-models/builder/precision.ts';
import {
  dequantizeBlockwise,
  quantizeBlockwise,
} from '../../../native-models/builder/quantize/block-quantize.ts';
import { roundThroughFloat16 } from '../../../native-models/builder/quantize/float16.ts';
import { QUANT_SCHEME } from '../../../native-models/builder/quantize/linear.ts';
import { makeEmbeddingTable, TABLE_BLOCK_SIZE } from '../../../native-models/builder/tables.ts';
import { ElemType } from '../../../native-models/onnx/proto.ts';
import { floatTensor, int64Tensor } from '../../../src-main/engine/runtime/tensor.ts';
import {
  gaussian,
  matmulTransposed,
  maxRelativeError,
  relativeL2,
  runOneGraph,
} from '../../support/one-graph.ts';

// 70 hidden: two 32-blocks and a padded tail, so the reshape-and-slice path runs.
const VOCAB = 50;
const HIDDEN = 70;
const ROWS = 3;
const table = gaussian(VOCAB * HIDDEN, 0.05, 9);
const ids = [[4, 0, 49, 7]];
const hidden = gaussian(ROWS * HIDDEN, 1, 10);

async function runTable(format: TableFormat, activations: 'fp32' | 'fp16' = 'fp32') {
  const graphFormat: GraphFormat = { linear: 'fp32', table: format, activations };
  return runOneGraph(
    graphFormat,
    (g) => {
      const t = makeEmbeddingTable(g, {
        name: 'embed_tokens.weight',
        shape: [VOCAB, HIDDEN],
        data: table,
        storedDtype: 'F32',
      });
      const idsIn = g.input('ids', ElemType.INT64, [1, 4]);
      const h = g.input('hidden', ElemType.FLOAT, [ROWS, HIDDEN]);
      g.output(t.gather('/embed', idsIn), 'rows', ElemType.FLOAT, [1, 4, HIDDEN]);
      g.output(t.project('/lm_head', h), 'logits', ElemType.FLOAT, [ROWS, VOCAB]);
    },
    { ids: int64Tensor(ids), hidden: floatTensor(hidden, [ROWS, HIDDEN]) },
  );
}

function rowsOf(matrix: Float32Array): Float32Array {
  const out = new Float32Array(4 * HIDDEN);
  ids[0]!.forEach((id, k) => out.set(matrix.subarray(id * HIDDEN, (id + 1) * HIDDEN), k * HIDDEN));
  return out;
}

describe('makeEmbeddingTable', () => {
  it('int8: GatherBlockQuantized rows and MatMulNBits logits from one stored uint8 table', async () => {
    const q = quantizeBlockwise(table, VOCAB, HIDDEN, 8, TABLE_BLOCK_SIZE, QUANT_SCHEME);
    const dequantized = dequantizeBlockwise(q);
    const { outputs, weightBytes } = await runTable('int8');
    // Lookups dequantize in float: exactly the dequantized rows.
    expect(maxRelativeError(outputs.rows!.data as Float32Array, rowsOf(dequantized))).toBeLessThan(
      1e-6,
    );
    // The projection computes with int8 activations (accuracy_level 4), as a Linear does: the same
    // 1.5 % bound as linear.test.ts.
    const logits = outputs.logits!.data as Float32Array;
    expect(
      maxRelativeError(logits, matmulTransposed(hidden, dequantized, ROWS, HIDDEN, VOCAB)),
    ).toBeLessThan(0.015);
    // 8-bit rounding of the table itself: step/√12 with a step of ~1/255 of a block's range.
    expect(relativeL2(dequantized, table)).toBeLessThan(0.008);
    // One table: its codes are written once (3 padded blocks × 32 bytes per row), plus per-block
    // scales (4 bytes) and zero points (1 byte) — no second copy for the lm_head.
    const codes = VOCAB * 3 * TABLE_BLOCK_SIZE;
    expect(weightBytes).toBeGreaterThanOrEqual(codes + VOCAB * 3 * 5);
    expect(weightBytes).toBeLessThan(codes + VOCAB * 3 * 5 + 3 * 64);
  });

  it('fp16 in an fp32 graph: the fp16-rounded table, half the bytes', async () => {
    const { outputs, weightBytes } = await runTable('fp16');
    const rounded = roundThroughFloat16(table);
    expect(Array.from(outputs.rows!.data as Float32Array)).toEqual(Array.from(rowsOf(rounded)));
    expect(
      maxRelativeError(
        outputs.logits!.data as Float32Array,
        matmulTransposed(hidden, rounded, ROWS, HIDDEN, VOCAB),
      ),
    ).toBeLessThan(1e-6);
    expect(weightBytes).toBe(VOCAB * HIDDEN * 2);
  });

  it('fp16 graph: rows exact in fp16, logits within fp16 accumulation error', async () => {
    const { outputs } = await runTable('fp16', 'fp16');
    expect(Array.from(outputs.rows!.data as Float32Array)).toEqual(
      Array.from(rowsOf(roundThroughFloat16(table))),
    );
    expect(
      maxRelativeError(
        outputs.logits!.data as Float32Array,
        matmulTransposed(hidden, table, ROWS, HIDDEN, VOCAB),
      ),
    ).toBeLessThan(5e-3);
  });

  it('fp32 keeps one float initializer for both uses', async () => {
    const { weightBytes } = await runTable('fp32');
    expect(weightBytes).toBe(VOCAB * HIDDEN * 4);
  });
});
