/**
 * The embedded defaults that let `npm run dev` and the agent's dev mode run with no .env at all.
 * They are for a developer's machine only: the Workers entry never reads them, so a deployment
 * without real secrets fails its configuration check instead of running with these.
 * `.env.example` lists the same values.
 */
export const DEV_DEFAULTS = {
  PORT: '8787',
  PUBLIC_BASE_URL: 'http://127.0.0.1:8787',
  AUTH_JWT_SECRET: 'dev-only-jwt-secret-not-for-production-0123456789',
  SERVICE_API_TOKEN: 'dev-only-service-token-not-for-production',
  LIVEKIT_URL: 'ws://127.0.0.1:7880',
  LIVEKIT_API_KEY: 'devkey',
  LIVEKIT_API_SECRET: 'secret',
  LIVEKIT_AGENT_NAME: 'fitness-coach',
  API_BASE_URL: 'http://127.0.0.1:8787',
} as const;

/** Environment with the dev defaults filled in wherever a variable is unset or blank. */
export function withDevDefaults(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...env };
  for (const [key, value] of Object.entries(DEV_DEFAULTS)) {
    if (!merged[key]?.trim()) merged[key] = value;
  }
  return merged;
}
