import { generate, type GenerationOptions } from '../generation/generate.ts';
import type { TokenStreamer } from '../generation/streamer.ts';
import type { RuntimeOptions } from '../runtime/providers.ts';
import { floatTensor, type Tensor } from '../runtime/tensor.ts';
import { buildOptInputs, type OptInputs } from '../text/prompts.ts';
import { TokenTextStreamer } from '../text/streaming-decoder.ts';
import { ConvertedModel } from './converted-model.ts';
import { readGenerationDefaults, type GenerationDefaults } from './generation-defaults.ts';
import { OptLanguageModel } from './opt-language-model.ts';

/** User-facing decoding choices; EOS/pad come from generation_config.json. */
export type CaptionOptions = Omit<GenerationOptions, 'eosTokenIds' | 'padTokenId'> & {
  eosTokenIds?: number[];
  padTokenId?: number;
};

export interface CaptionResult {
  /** Decoded new tokens, special tokens skipped, trimmed. */
  text: string;
  /** Generated ids only (EOS included when it was produced). */
  tokenIds: number[];
}

export type TextListener = (row: number, text: string) => void;

/**
 * Blip2ForConditionalGeneration on converted graphs: image embeddings → Q-Former → projected
 * queries spliced into the OPT prompt embeddings → generation with KV cache.
 */
export class Blip2Captioner {
  readonly generationDefaults: GenerationDefaults;

  private constructor(
    readonly model: ConvertedModel,
    readonly languageModel: OptLanguageModel,
  ) {
    const text = model.manifest.text;
    if (!text) throw new Error(`${model.dir}: manifest has no language model description`);
    this.generationDefaults = readGenerationDefaults(model.dir, {
      eosTokenIds: text.eosTokenIds,
      padTokenId: text.padTokenId,
      bosTokenId: text.bosTokenId,
    });
  }

  static async load(dir: string, runtime: RuntimeOptions): Promise<Blip2Captioner> {
    const model = await ConvertedModel.load(dir, runtime, 'Blip2ForConditionalGeneration');
    const text = model.manifest.text!;
    const [decoder, embedder] = await Promise.all([
      model.session('decoder'),
      model.session('embed_tokens'),
    ]);
    const lm = new OptLanguageModel(decoder, embedder, {
      vocabSize: text.vocabSize,
      hiddenSize: text.hiddenSize,
      numLayers: text.numLayers,
      numHeads: text.numHeads,
      headDim: text.headDim,
    });
    return new Blip2Captioner(model, lm);
  }

  /** qformer.onnx: image_embeds → language_inputs [B, queries, hidden] (and the raw query output). */
  async projectImages(
    imageEmbeds: Tensor<'float32'>,
  ): Promise<{ queryOutput: Tensor<'float32'>; languageInputs: Tensor<'float32'> }> {
    const session = await this.model.session('qformer');
    const out = await session.run({ image_embeds: imageEmbeds });
    return {
      queryOutput: out.query_output as Tensor<'float32'>,
      languageInputs: out.language_inputs as Tensor<'float32'>,
    };
  }

  /** Prompt ids + mask for a batch (null entries = plain captioning), HF Blip2Processor layout. */
  buildInputs(prompts: readonly (string | null)[]): OptInputs {
    return buildOptInputs(this.model.tokenizer, prompts, {
      numQueryTokens: this.model.manifest.numQueryTokens,
      imageTokenId: this.model.manifest.imageTokenIndex,
      padSide: 'left',
    });
  }

  /** The decoder's inputs_embeds: token embeddings with the image positions replaced by the projected queries. */
  async buildInputsEmbeds(
    languageInputs: Tensor<'float32'>,
    inputs: OptInputs,
  ): Promise<Tensor<'float32'>> {
    const [rows, queries, hidden] = languageInputs.dims as [number, number, number];
    if (rows !== inputs.inputIds.length)
      throw new Error(`${rows} images for ${inputs.inputIds.length} prompts`);
    const tokens = await this.languageModel.embedTokens(inputs.inputIds);
    const length = inputs.attentionMask[0]!.length;
    const out = new Float32Array(rows * length * hidden);
    const textLength = tokens.dims[1]!;
    const textOffset = length - textLength; // 0 when image tokens are in input_ids, `queries` when prepended
    for (let r = 0; r < rows; r++) {
      out.set(
        tokens.data.subarray(r * textLength * hidden, (r + 1) * textLength * hidden),
        (r * length + textOffset) * hidden,
      );
      inputs.imageTokenPositions[r]!.forEach((position, q) => {
        const from = (r * queries + q) * hidden;
        out.set(
          languageInputs.data.subarray(from, from + hidden),
          (r * length + position) * hidden,
        );
      });
    }
    tokens.dispose();
    return floatTensor(out, [rows, length, hidden]);
  }

  /** One result per image (per image × numReturnSequences), in input order. */
  async generate(
    imageEmbeds: Tensor<'float32'>,
    prompts: readonly (string | null)[],
    options: CaptionOptions,
    onText?: TextListener,
  ): Promise<CaptionResult[]> {
    const { languageInputs, queryOutput } = await this.projectImages(imageEmbeds);
    queryOutput.dispose();
    const inputs = this.buildInputs(prompts);
    const embeds = await this.buildInputsEmbeds(languageInputs, inputs);
    languageInputs.dispose();
    const defaults = this.generationDefaults;
    const full: GenerationOptions = {
      ...options,
      eosTokenIds: options.eosTokenIds ?? defaults.eosTokenIds,
      padTokenId: options.padTokenId ?? defaults.padTokenId,
    };
    const outputs = prompts.length * (options.numReturnSequences ?? 1);
    const streamer = onText ? this.textStreamer(outputs, onText) : undefined;
    const result = await generate(
      this.languageModel,
      {
        inputsEmbeds: embeds.data,
        dims: embeds.dims as [number, number, number],
        attentionMask: inputs.attentionMask,
        seenTokenIds: inputs.inputIds,
      },
      full,
      streamer,
    );
    embeds.dispose();
    return result.sequences.map((tokenIds) => ({
      text: this.model.tokenizer.decode(tokenIds, { skipSpecialTokens: true }).trim(),
      tokenIds,
    }));
  }

  private textStreamer(rows: number, onText: TextListener): TokenStreamer {
    const text = new TokenTextStreamer(this.model.tokenizer, {
      batchSize: rows,
      onText: (row, piece) => onText(row, piece),
    });
    return { put: (row, id) => void text.put(row, id), end: () => void text.endAll() };
  }

  async release(): Promise<void> {
    await this.model.release();
  }
}
