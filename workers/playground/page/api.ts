/**
 * The page's two HTTP calls to the edge API: the demo user's token (local defaults only) and a
 * new voice session. Both answers are validated; every failure is an ApiFailure or the fetch
 * error itself, which errors.ts turns into words.
 */
import { DEMO_TOKEN_PATH, demoTokenResponseSchema } from '../../../shared/demo-token.ts';
import {
  type AgentType,
  type CreateSessionResponse,
  createSessionResponseSchema,
} from '../../../shared/schemas.ts';
import { ApiFailure, apiFailureOf } from './errors.ts';

export type Fetch = typeof fetch;

/**
 * The API's base URL from what the user typed: empty means the origin that served the page.
 * Null when it is not an http(s) URL.
 */
export function apiBaseFrom(input: string, pageOrigin: string): string | null {
  const typed = input.trim();
  if (typed === '') return pageOrigin;
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.origin + url.pathname.replace(/\/+$/, '');
}

async function postJson(
  fetcher: Fetch,
  url: string,
  init: { token?: string; body?: unknown },
): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetcher(url, {
    method: 'POST',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!response.ok) throw await apiFailureOf(response);
  return response.json();
}

function invalidAnswer(what: string): ApiFailure {
  return new ApiFailure(502, undefined, `the API's ${what} answer is not what this page expects`);
}

export async function fetchDemoToken(apiBase: string, fetcher: Fetch = fetch): Promise<string> {
  const body = await postJson(fetcher, `${apiBase}${DEMO_TOKEN_PATH}`, {});
  const parsed = demoTokenResponseSchema.safeParse(body);
  if (!parsed.success) throw invalidAnswer('demo token');
  return parsed.data.user_token;
}

export async function startSession(
  apiBase: string,
  userToken: string,
  agentType: AgentType,
  fetcher: Fetch = fetch,
): Promise<CreateSessionResponse> {
  const body = await postJson(fetcher, `${apiBase}/v1/sessions`, {
    token: userToken,
    body: { agent_type: agentType },
  });
  const parsed = createSessionResponseSchema.safeParse(body);
  if (!parsed.success) throw invalidAnswer('session');
  return parsed.data;
}
