import { decodeImageToRgb, type DecodeOptions } from '../image/decode.ts';
import { preprocessBatch } from '../image/preprocess.ts';
import { floatTensor, type Tensor } from '../runtime/tensor.ts';
import type { ConvertedModel } from './converted-model.ts';

export interface PixelBatch {
  data: Float32Array;
  dims: readonly [number, 3, number, number];
}

/** Decodes, resizes (Pillow-exact bicubic) and normalises images into one NCHW batch. */
export async function loadPixelBatch(
  model: ConvertedModel,
  sources: readonly (string | Buffer)[],
  decode?: DecodeOptions,
): Promise<PixelBatch> {
  const images = await Promise.all(sources.map((s) => decodeImageToRgb(s, decode)));
  return preprocessBatch(images, model.preprocessor);
}

/** vision.onnx: pixel_values → image_embeds [B, tokens, hidden] (post_layernorm applied). */
export async function encodeImages(
  model: ConvertedModel,
  pixels: PixelBatch,
): Promise<Tensor<'float32'>> {
  const session = await model.session('vision');
  const out = await session.run({ pixel_values: floatTensor(pixels.data, pixels.dims) }, [
    'image_embeds',
  ]);
  return out.image_embeds as Tensor<'float32'>;
}
