/**
 * Builds the speech and language models from configuration. Which provider runs is decided here
 * and nowhere else, so switching providers never means editing code.
 *
 * Only the configured language model's plugin is imported: every job process loads this module,
 * and the plugin of a provider that is not used (Google's pulls in @google/genai) would only add
 * to each process's start time and memory.
 */
import type { llm as llmTypes, stt as sttTypes } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import type { LlmConfig, SttConfig, TtsConfig } from './config.ts';

/** Warm enough to sound natural, low enough to keep tool choice predictable. */
const TEMPERATURE = 0.7;

export async function createLlm(config: LlmConfig): Promise<llmTypes.LLM> {
  switch (config.provider) {
    case 'openai':
    case 'anthropic': {
      const openai = await import('@livekit/agents-plugin-openai');
      // Anthropic is reached through its OpenAI-compatible endpoint (config.baseUrl defaults to it).
      return new openai.LLM({
        model: config.model,
        apiKey: config.apiKey,
        baseURL: config.baseUrl,
        temperature: TEMPERATURE,
        maxCompletionTokens: config.maxResponseTokens,
      });
    }
    case 'google': {
      const google = await import('@livekit/agents-plugin-google');
      return new google.LLM({
        model: config.model,
        apiKey: config.apiKey,
        vertexai: false,
        temperature: TEMPERATURE,
        maxOutputTokens: config.maxResponseTokens,
        ...(config.baseUrl ? { httpOptions: { baseUrl: config.baseUrl } } : {}),
      });
    }
  }
}

const DEEPGRAM_BASE_URL = 'wss://api.deepgram.com';

/**
 * The rate the caller's audio is taken from the room at (agent/session.ts) and sent to Deepgram.
 * It is also the rate the framework's voice detector runs at, so nothing resamples the caller's
 * audio in JavaScript. At the framework's default of 24 kHz the voice detector and the
 * speech-to-text stream each resampled every 10 ms frame to 16 kHz through a native call of its
 * own (200 calls a second per session); the room's audio stream now resamples in native code.
 */
export const SPEECH_INPUT_SAMPLE_RATE = 16_000;

/**
 * Flux models (`flux-general-en`, ...) are served by Deepgram's turn-based `/v2/listen` API and
 * the plugin's STTv2; every other model by `/v1/listen` and its STT.
 */
export function isFluxModel(model: string): boolean {
  return model.startsWith('flux-');
}

/** The path of the streaming socket the configured model uses (for the reconnect watch). */
export function sttSocketPath(config: SttConfig): string {
  return isFluxModel(config.model) ? '/v2/listen' : '/v1/listen';
}

export function createStt(config: SttConfig): sttTypes.STT {
  const baseUrl = (config.baseUrl ?? DEEPGRAM_BASE_URL).replace(/\/+$/, '');
  if (isFluxModel(config.model)) {
    // Flux takes no language parameter: the model names it (flux-general-en).
    return new deepgram.STTv2({
      apiKey: config.apiKey,
      model: config.model,
      sampleRate: SPEECH_INPUT_SAMPLE_RATE,
      endpointUrl: `${baseUrl}${sttSocketPath(config)}`,
      ...(config.eagerEotThreshold === undefined
        ? {}
        : { eagerEotThreshold: config.eagerEotThreshold }),
    });
  }
  return new deepgram.STT({
    apiKey: config.apiKey,
    model: config.model,
    sampleRate: SPEECH_INPUT_SAMPLE_RATE,
    language: config.language,
    baseUrl,
  });
}

export function createTts(config: TtsConfig): cartesia.TTS {
  return new cartesia.TTS({
    apiKey: config.apiKey,
    model: config.model,
    sampleRate: config.sampleRate,
    speed: config.speed,
    ...(config.voiceId ? { voice: config.voiceId } : {}),
    ...(config.baseUrl ? { baseUrl: config.baseUrl.replace(/\/+$/, '') } : {}),
  });
}
