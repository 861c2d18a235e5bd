import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Blip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { writeGraph } from '../../native-models/builder/graph-file.ts';
import {
  moduleFormats,
  type GraphFormat,
  type Precision,
} from '../../native-models/builder/precision.ts';
import { HfCheckpoint } from '../../native-models/checkpoint/hf-checkpoint.ts';
import { onnx } from '../../native-models/onnx/proto.ts';
import type { BenchStage } from './stages.ts';
import { folderBytes } from './system.ts';

/** Our graph of one stage in one GraphFormat; precisions with the same format share it. */
export interface OurGraph {
  format: GraphFormat;
  precisions: Precision[];
  /** The .onnx file, or null when it could not be built (`unavailable` says why). */
  path: string | null;
  unavailable: string | null;
  /** .onnx + .onnx.data. */
  diskBytes: number;
  /** The external data alone: what a decode step reads once per call. */
  weightBytes: number;
  convertSeconds: number;
  /** Operator counts of the graph (e.g. MatMulNBits 160), for the report. */
  ops: Record<string, number>;
}

export const formatKey = (f: GraphFormat): string => `${f.linear}-${f.table}-${f.activations}`;

/** ONNX element types that only quantized weights use here (uint8/int8/uint4/int4). */
const QUANTIZED_ELEMENT_TYPES = new Set([2, 3, 21, 22]);

/**
 * Builds the stage's graph once per distinct format among `precisions`. A format the builder
 * cannot make yet (it throws), or silently makes in float (no quantized weight in the graph), is
 * reported unavailable with the reason instead of timed under the wrong name.
 */
export function buildOurGraphs(
  stage: BenchStage,
  config: Blip2Config,
  checkpointDir: string,
  precisions: readonly Precision[],
  progress: (message: string) => void,
): OurGraph[] {
  const graphs = new Map<string, OurGraph>();
  for (const precision of precisions) {
    const format = moduleFormats(precision)[stage.part];
    const key = formatKey(format);
    const known = graphs.get(key);
    if (known) {
      known.precisions.push(precision);
      continue;
    }
    const graph: OurGraph = {
      format,
      precisions: [precision],
      path: null,
      unavailable: null,
      diskBytes: 0,
      weightBytes: 0,
      convertSeconds: 0,
      ops: {},
    };
    graphs.set(key, graph);
    const outDir = join(checkpointDir, 'graphs', key);
    mkdirSync(outDir, { recursive: true });
    progress(`building our ${precision} graph (${describeFormat(format)})`);
    const started = performance.now();
    const ckpt = new HfCheckpoint(checkpointDir);
    try {
      writeGraph(
        outDir,
        stage.name,
        ckpt,
        (g) => stage.build(g, ckpt, config),
        `bench ${stage.name} ${precision}`,
        format,
      );
    } catch (error) {
      graph.unavailable = `the builder cannot make it: ${error instanceof Error ? error.message : String(error)}`;
      continue;
    } finally {
      ckpt.close();
    }
    graph.convertSeconds = (performance.now() - started) / 1000;
    const path = join(outDir, `${stage.name}.onnx`);
    const { ops, quantizedWeights } = inspectGraph(path);
    graph.ops = ops;
    graph.diskBytes = folderBytes(outDir);
    graph.weightBytes = statSync(`${path}.data`).size;
    const quantizedFormat = format.linear === 'int8' || format.linear === 'int4';
    if (quantizedFormat && quantizedWeights === 0) {
      graph.unavailable = `the builder wrote no quantized weight for linear=${format.linear} (not implemented on this build)`;
      continue;
    }
    graph.path = path;
  }
  return [...graphs.values()];
}

export function describeFormat(f: GraphFormat): string {
  return `linear ${f.linear}, table ${f.table}, activations ${f.activations}`;
}

function inspectGraph(path: string): { ops: Record<string, number>; quantizedWeights: number } {
  const model = onnx.ModelProto.decode(readFileSync(path));
  const ops: Record<string, number> = {};
  for (const node of model.graph?.node ?? []) {
    const op = node.opType ?? '?';
    ops[op] = (ops[op] ?? 0) + 1;
  }
  // Only matrices count: a small 8-bit constant does not make a quantized graph.
  const quantizedWeights = (model.graph?.initializer ?? []).filter(
    (t) =>
      QUANTIZED_ELEMENT_TYPES.has(t.dataType ?? 0) &&
      (t.dims ?? []).reduce<number>((a, b) => a * Number(b), 1) >= 1024,
  ).length;
  return { ops, quantizedWeights };
}
