/**
 * The LLM providers both processes can use (the agent's voice LLM and the orchestrator's chat
 * model) and the variable that holds each one's key, so a missing key is named the same way
 * whichever process reports it.
 */
export const LLM_PROVIDERS = ['openai', 'anthropic', 'google'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

export const PROVIDER_KEY_VARIABLES = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  google: 'GOOGLE_API_KEY',
} as const satisfies Record<LlmProvider, string>;
