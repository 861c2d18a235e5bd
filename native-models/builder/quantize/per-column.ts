/**
 * Symmetric int8 per output channel, the layout `DynamicQuantizeMatMul` reads: B is [in, out]
 * (the HF Linear weight [out, in] transposed), one float scale and a zero point of 0 per column.
 */
export interface PerColumnInt8 {
  readonly rows: number;
  readonly cols: number;
  /** [cols (in), rows (out)] row-major. */
  readonly values: Int8Array;
  /** [rows (out)]. */
  readonly scales: Float32Array;
}

/** `data` is the [rows = out, cols = in] weight; each output row gets scale max|w| / 127. */
export function quantizePerColumnInt8(
  data: Float32Array,
  rows: number,
  cols: number,
): PerColumnInt8 {
  const values = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(data[r * cols + c]!));
    const scale = Math.fround(max / 127);
    scales[r] = scale;
    const inverse = scale === 0 ? 0 : 1 / scale;
    for (let c = 0; c < cols; c++) values[c * rows + r] = Math.round(data[r * cols + c]! * inverse);
  }
  return { rows, cols, values, scales };
}

/** The [rows, cols] matrix the int8 form stands for. */
export function dequantizePerColumnInt8(q: PerColumnInt8): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let r = 0; r < q.rows; r++) {
    for (let c = 0; c < q.cols; c++) out[r * q.cols + c] = q.values[c * q.rows + r]! * q.scales[r]!;
  }
  return out;
}
