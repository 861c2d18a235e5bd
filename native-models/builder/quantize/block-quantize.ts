/**
 * Round-to-nearest block quantization of a row-major matrix, row by row along its columns: the
 * layout of onnxruntime's `MatMulNBits` (B is the HF Linear weight [out, in] itself, blocks run
 * along `in`) and of `GatherBlockQuantized` with quantize_axis = 1 (blocks along the hidden size
 * of an embedding row). Values are stored unsigned: value = (q - zeroPoint) * scale.
 */
export type QuantBits = 4 | 8;

/**
 * `asymmetric`: each block's [min, max] (widened to hold 0) maps onto [0, 2^bits - 1] with its
 * own zero point. `symmetric`: ±max|x| maps onto the signed range, zero point 2^(bits-1).
 */
export type QuantScheme = 'asymmetric' | 'symmetric';

export interface BlockQuantized {
  readonly bits: QuantBits;
  readonly blockSize: number;
  readonly rows: number;
  readonly cols: number;
  readonly blocksPerRow: number;
  /** [rows, blocksPerRow, blockSize * bits / 8]; 4-bit values two per byte, low nibble first. */
  readonly packed: Uint8Array;
  /** [rows, blocksPerRow]. */
  readonly scales: Float32Array;
  /** One per block, unpacked (0..2^bits-1). */
  readonly zeroPoints: Uint8Array;
}

export function quantizeBlockwise(
  data: Float32Array,
  rows: number,
  cols: number,
  bits: QuantBits,
  blockSize: number,
  scheme: QuantScheme,
): BlockQuantized {
  if (data.length !== rows * cols) throw new Error(`quantize: ${data.length} ≠ ${rows}×${cols}`);
  if ((blockSize * bits) % 8 !== 0 || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`quantize: block size ${blockSize} must be a power of two ≥ 16`);
  }
  const blocksPerRow = Math.ceil(cols / blockSize);
  const blobBytes = (blockSize * bits) / 8;
  const qmax = (1 << bits) - 1;
  const packed = new Uint8Array(rows * blocksPerRow * blobBytes);
  const scales = new Float32Array(rows * blocksPerRow);
  const zeroPoints = new Uint8Array(rows * blocksPerRow);
  const codes = new Uint8Array(blockSize);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocksPerRow; b++) {
      const start = r * cols + b * blockSize;
      const length = Math.min(blockSize, cols - b * blockSize);
      let min = 0;
      let max = 0;
      for (let i = 0; i < length; i++) {
        const v = data[start + i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      let scale: number;
      let zeroPoint: number;
      if (scheme === 'symmetric') {
        zeroPoint = 1 << (bits - 1);
        scale = Math.max(-min, max) / (zeroPoint - 1);
      } else {
        scale = (max - min) / qmax;
        zeroPoint = scale === 0 ? 0 : Math.min(qmax, Math.max(0, Math.round(-min / scale)));
      }
      // A stored scale is float32: quantize against that value so dequantization is exact.
      scale = Math.fround(scale);
      const inverse = scale === 0 ? 0 : 1 / scale;
      codes.fill(zeroPoint);
      for (let i = 0; i < length; i++) {
        const q = Math.round(data[start + i]! * inverse) + zeroPoint;
        codes[i] = q < 0 ? 0 : q > qmax ? qmax : q;
      }
      const block = r * blocksPerRow + b;
      scales[block] = scale;
      zeroPoints[block] = zeroPoint;
      const at = block * blobBytes;
      if (bits === 8) packed.set(codes, at);
      else
        for (let i = 0; i < blobBytes; i++)
          packed[at + i] = codes[2 * i]! | (codes[2 * i + 1]! << 4);
    }
  }
  return { bits, blockSize, rows, cols, blocksPerRow, packed, scales, zeroPoints };
}

/** The matrix the quantized form stands for ([rows, cols] float32), for references and tests. */
export function dequantizeBlockwise(q: BlockQuantized): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  const blobBytes = (q.blockSize * q.bits) / 8;
  for (let r = 0; r < q.rows; r++) {
    for (let c = 0; c < q.cols; c++) {
      const b = Math.floor(c / q.blockSize);
      const block = r * q.blocksPerRow + b;
      const i = c - b * q.blockSize;
      const byte = q.packed[block * blobBytes + (q.bits === 8 ? i : i >> 1)]!;
      const code = q.bits === 8 ? byte : i & 1 ? byte >> 4 : byte & 0x0f;
      out[r * q.cols + c] = (code - q.zeroPoints[block]!) * q.scales[block]!;
    }
  }
  return out;
}

/**
 * Zero points as `MatMulNBits` and `GatherBlockQuantized` read them: 8-bit one per byte, 4-bit two
 * per byte (low nibble first), each row padded to whole bytes.
 */
export function packZeroPoints(q: BlockQuantized): Uint8Array {
  if (q.bits === 8) return q.zeroPoints;
  const perRow = Math.ceil(q.blocksPerRow / 2);
  const out = new Uint8Array(q.rows * perRow);
  for (let r = 0; r < q.rows; r++) {
    for (let b = 0; b < q.blocksPerRow; b++) {
      const z = q.zeroPoints[r * q.blocksPerRow + b]!;
      out[r * perRow + (b >> 1)]! |= b & 1 ? z << 4 : z;
    }
  }
  return out;
}
