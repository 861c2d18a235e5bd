import { createRequire } from 'node:module';
import type * as OnnxProto from 'onnx-proto';

// onnx-proto is a CommonJS bundle whose named export Node's ESM loader cannot see; require it.
const require = createRequire(import.meta.url);
export const onnx = (require('onnx-proto') as typeof OnnxProto).onnx;
export type { OnnxProto };

/** ONNX TensorProto element types used by Sightline's graphs. */
export const ElemType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];
