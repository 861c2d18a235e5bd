import type { HfCheckpoint } from '../checkpoint/hf-checkpoint.ts';
import { bytesPerWeight, moduleFormats, type GraphFormat, type Precision } from './precision.ts';

/**
 * Approximate bytes of a conversion at `precision`, from the checkpoint's tensor list: matrices
 * in their module's Linear format, everything else (norms, biases, the patch Conv) as floats.
 * Embedding tables count as matrices; the Q-Former's text path appears once per graph that uses
 * it, so a retrieval model is a little larger than this.
 */
export function estimateConvertedBytes(ckpt: HfCheckpoint, precision: Precision): number {
  const formats = moduleFormats(precision);
  let bytes = 0;
  for (const name of ckpt.tensorNames) {
    const { shape } = ckpt.info(name);
    const count = shape.reduce((a, b) => a * b, 1);
    const format = name.startsWith('vision_model.')
      ? formats.vision
      : name.startsWith('language_model.')
        ? formats.language
        : formats.qformer;
    bytes += count * (shape.length === 2 ? bytesPerWeight(format) : floatBytes(format));
  }
  return bytes;
}

function floatBytes(format: GraphFormat): number {
  return format.activations === 'fp16' ? 2 : 4;
}
