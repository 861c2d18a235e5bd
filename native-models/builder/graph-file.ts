import { join } from 'node:path';
import type { HfCheckpoint } from '../checkpoint/hf-checkpoint.ts';
import { GraphBuilder, type ValueSpec } from '../onnx/graph-builder.ts';
import { ElemType } from '../onnx/proto.ts';
import type { ManifestGraph, ManifestValueSpec } from '../manifest.ts';
import type { GraphFormat } from './precision.ts';

const DTYPE_NAMES: Record<number, ManifestValueSpec['dtype']> = {
  [ElemType.FLOAT]: 'float32',
  [ElemType.INT64]: 'int64',
  [ElemType.FLOAT16]: 'float16',
  [ElemType.INT32]: 'int32',
  [ElemType.UINT8]: 'uint8',
  [ElemType.BOOL]: 'bool',
};

/** Builds one `<name>.onnx` + `<name>.onnx.data` pair in `outDir` and describes it for the manifest. */
export function writeGraph(
  outDir: string,
  name: string,
  ckpt: HfCheckpoint,
  build: (g: GraphBuilder) => void,
  docString: string,
  format?: GraphFormat,
): ManifestGraph {
  const file = `${name}.onnx`;
  const dataFile = `${file}.data`;
  const g = new GraphBuilder(name, join(outDir, dataFile), format);
  try {
    build(g);
  } catch (error) {
    g.abandon();
    throw error;
  }
  g.save(join(outDir, file), `${docString} (from ${ckpt.dir})`);
  return {
    file,
    dataFile,
    format: { ...g.format },
    inputs: g.declaredInputs.map(describe),
    outputs: g.declaredOutputs.map(describe),
  };
}

function describe(spec: ValueSpec): ManifestValueSpec {
  const dtype = DTYPE_NAMES[spec.elemType];
  if (!dtype) throw new Error(`value ${spec.name}: unsupported element type ${spec.elemType}`);
  return { name: spec.name, dtype, shape: [...spec.shape] };
}
