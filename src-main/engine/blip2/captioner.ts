import { generate, type GenerationOptions } from '../generation/generate.ts';
import type { TokenStreamer } from '../generation/streamer.ts';
import type { RuntimeOptions } from '../runtime/providers.ts';
import type { Tensor } from '../runtime/tensor.ts';
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
    const decoderInputs = model.manifest.graphs.decoder?.inputs.map((input) => input.name) ?? [];
    if (!decoderInputs.includes('input_ids')) {
      throw new Error(
        `${dir} was converted by an older Sightline (its decoder has no token table); run sightline models convert again`,
      );
    }
    const decoder = await model.session('decoder');
    const lm = new OptLanguageModel(decoder, {
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

  /**
   * The decoder's prompt: the projected queries as embeddings, then the padded text ids, which
   * the decoder embeds itself. Both HF layouts put the queries at positions 0..N-1 (the
   * image-token layout overwrites its `<image>` ids there), so this covers either.
   */
  buildPrompt(
    languageInputs: Tensor<'float32'>,
    inputs: OptInputs,
  ): { queryEmbeds: Tensor<'float32'>; tokenIds: number[][] } {
    const [rows, queries] = languageInputs.dims as [number, number, number];
    if (rows !== inputs.inputIds.length)
      throw new Error(`${rows} images for ${inputs.inputIds.length} prompts`);
    const positions = Array.from({ length: queries }, (_, q) => q);
    if (inputs.imageTokenPositions.some((p) => p.join() !== positions.join()))
      throw new Error('image queries must come first in the prompt');
    return { queryEmbeds: languageInputs, tokenIds: inputs.textInputIds };
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
    const prompt = this.buildPrompt(languageInputs, inputs);
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
        inputsEmbeds: prompt.queryEmbeds.data,
        dims: prompt.queryEmbeds.dims as [number, number, number],
        promptTokenIds: prompt.tokenIds,
        attentionMask: inputs.attentionMask,
        seenTokenIds: inputs.inputIds,
      },
      full,
      streamer,
    );
    languageInputs.dispose();
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
