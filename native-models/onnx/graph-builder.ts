import { writeFileSync } from 'node:fs';
import { ExternalDataWriter } from './external-data.ts';
import type { GraphFormat } from '../builder/precision.ts';
import { toFloat16Bits } from '../builder/quantize/float16.ts';
import { ElemType, onnx, type OnnxProto } from './proto.ts';

export type Dim = number | string;
export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] };

export interface NodeOptions {
  /** Node name; defaults to `${scope}/${opType}`, made unique. */
  name?: string;
  attrs?: Record<string, AttributeValue>;
  /** Number of outputs (default 1). */
  outputs?: number;
  domain?: string;
}

export interface ValueSpec {
  readonly name: string;
  readonly elemType: ElemType;
  readonly shape: readonly Dim[];
}

export const OPSET = 17;

const FP32_FORMAT: GraphFormat = { linear: 'fp32', table: 'fp32', activations: 'fp32' };
const IR_VERSION = 8;

/**
 * A small graph-writing layer in the style of onnxruntime-genai's builder: nodes are named by
 * where they sit in the model (`/vision/layers.3/attn/qkv/MatMul`), weights go to one external
 * data file as they are added, and tiny constants stay inline.
 */
export class GraphBuilder {
  private readonly nodes: OnnxProto.onnx.INodeProto[] = [];
  private readonly initializers: OnnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private readonly usedNames = new Set<string>();
  private readonly data: ExternalDataWriter;
  private constantCount = 0;

  constructor(
    readonly graphName: string,
    dataPath: string,
    /** How this graph stores its matrices and tables; the `make*` pieces read it. */
    readonly format: GraphFormat = FP32_FORMAT,
  ) {
    this.data = new ExternalDataWriter(dataPath);
  }

  get weightBytes(): number {
    return this.data.bytesWritten;
  }

  /** Element type of the graph's float activations and weights: FLOAT16 in fp16 graphs. */
  get activationType(): ElemType {
    return this.format.activations === 'fp16' ? ElemType.FLOAT16 : ElemType.FLOAT;
  }

  /**
   * Declares a graph input. In an fp16 graph a float32 input stays float32 at the boundary (the
   * runtime feeds float32 everywhere) and is cast to fp16 inside, unless `atActivationType`
   * declares it fp16 itself (the KV cache, which would otherwise be cast every step).
   */
  input(
    name: string,
    elemType: ElemType,
    shape: readonly Dim[],
    options: { atActivationType?: boolean } = {},
  ): string {
    const castInside = elemType === ElemType.FLOAT && this.activationType !== ElemType.FLOAT;
    const declared = castInside && options.atActivationType ? this.activationType : elemType;
    this.inputs.push({ name, elemType: declared, shape });
    this.usedNames.add(name);
    if (!castInside || options.atActivationType) return name;
    return this.op('Cast', [name], `/inputs/${name}`, { to: this.activationType });
  }

  /**
   * Declares `value` a graph output under `name` (an Identity keeps the public name stable). A
   * float32 output of an fp16 graph is cast back at the boundary, unless `atActivationType`.
   */
  output(
    value: string,
    name: string,
    elemType: ElemType,
    shape: readonly Dim[],
    options: { atActivationType?: boolean } = {},
  ): void {
    const castOutside = elemType === ElemType.FLOAT && this.activationType !== ElemType.FLOAT;
    if (castOutside && !options.atActivationType) {
      this.node('Cast', [value], {
        name: `/outputs/${name}/Cast`,
        outputNames: [name],
        attrs: { to: ElemType.FLOAT },
      });
      this.outputs.push({ name, elemType, shape });
      return;
    }
    this.node('Identity', [value], { name: `/outputs/${name}`, outputNames: [name] });
    this.outputs.push({ name, elemType: castOutside ? this.activationType : elemType, shape });
  }

  /**
   * Declares a value some node already produces under `name` a graph output, without the
   * Identity of `output`: onnxruntime then writes that node's result straight into a buffer the
   * caller provides for it (a KV cache updated in place).
   */
  outputAsProduced(name: string, elemType: ElemType, shape: readonly Dim[]): void {
    this.outputs.push({ name, elemType, shape });
  }

  get declaredInputs(): readonly ValueSpec[] {
    return this.inputs;
  }

  get declaredOutputs(): readonly ValueSpec[] {
    return this.outputs;
  }

  /** Adds one node; returns its output value names. */
  node(
    opType: string,
    inputs: readonly string[],
    options: NodeOptions & { outputNames?: string[] } = {},
  ): string[] {
    const name = this.uniqueName(options.name ?? `/${opType}`);
    const count = options.outputNames?.length ?? options.outputs ?? 1;
    const outputs =
      options.outputNames ?? Array.from({ length: count }, (_, i) => `${name}/output_${i}`);
    this.nodes.push({
      name,
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(options.attrs ?? {}).map(([key, value]) =>
        makeAttribute(key, value),
      ),
    });
    return outputs;
  }

  /** Single-output convenience. */
  op(
    opType: string,
    inputs: readonly string[],
    scope: string,
    attrs?: Record<string, AttributeValue>,
  ): string {
    const out = this.node(opType, inputs, {
      name: `${scope}/${opType}`,
      ...(attrs ? { attrs } : {}),
    });
    return out[0]!;
  }

  /**
   * A float weight, written to the external data file now, at the graph's activation type (fp16
   * in fp16 graphs, so its consumers need no Cast).
   */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) {
      throw new Error(
        `weight ${name}: ${data.length} values do not fill shape [${dims.join(', ')}]`,
      );
    }
    if (this.activationType === ElemType.FLOAT16) {
      const half = toFloat16Bits(data);
      return this.tensor(name, new Uint8Array(half.buffer), dims, ElemType.FLOAT16);
    }
    return this.tensor(
      name,
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      dims,
      ElemType.FLOAT,
    );
  }

  /** An initializer of any element type from its raw little-endian bytes (quantized weights). */
  tensor(name: string, bytes: Uint8Array, dims: readonly number[], elemType: ElemType): string {
    const { offset, length } = this.data.append(bytes);
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: elemType,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: this.data.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    });
    this.usedNames.add(name);
    return name;
  }

  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = `/constants/int64_${this.constantCount++}`;
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: ElemType.INT64,
      rawData: new Uint8Array(raw.buffer),
    });
    return name;
  }

  /** A small float constant, inline, at the graph's activation type. */
  constFloat(values: readonly number[], dims: readonly number[] = []): string {
    const name = `/constants/float_${this.constantCount++}`;
    const raw = new Float32Array(values);
    const half = this.activationType === ElemType.FLOAT16;
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: half ? ElemType.FLOAT16 : ElemType.FLOAT,
      rawData: new Uint8Array(half ? toFloat16Bits(raw).buffer : raw.buffer),
    });
    return name;
  }

  /** Writes `<path>` (graph) next to the already written data file, and closes the data file. */
  save(path: string, docString: string): void {
    this.data.close();
    const model: OnnxProto.onnx.IModelProto = {
      irVersion: IR_VERSION,
      producerName: 'sightline',
      docString,
      opsetImport: [
        { domain: '', version: OPSET },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    };
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
  }

  /** Releases the data file without saving (on errors). */
  abandon(): void {
    this.data.close();
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }
}

function valueInfo(spec: ValueSpec): OnnxProto.onnx.IValueInfoProto {
  return {
    name: spec.name,
    type: {
      tensorType: {
        elemType: spec.elemType,
        shape: {
          dim: spec.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function makeAttribute(name: string, value: AttributeValue): OnnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new Error(`attribute ${name}: use { float } for non-integers`);
    return { name, type: T.INT, i: value };
  }
  if (typeof value === 'string')
    return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  return { name, type: T.FLOATS, floats: value.floats };
}
