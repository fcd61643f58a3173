/**
 * Every failure the page can meet, turned into what a person trying the coach needs: what went
 * wrong in plain words, what to do about it, and whether trying again may help. The rest of the
 * page throws or reports raw causes; only this module decides the words.
 */
import { parseJson } from '../../../shared/parse-json.ts';
import { errorBodySchema } from '../../../shared/schemas.ts';

export interface PlaygroundError {
  kind:
    | 'microphone_refused'
    | 'microphone_missing'
    | 'rate_limited'
    | 'signed_out'
    | 'demo_unavailable'
    | 'no_profile'
    | 'api_unreachable'
    | 'api_error'
    | 'coach_missing'
    | 'connection_failed'
    | 'connection_dropped';
  title: string;
  message: string;
  /** Whether the same action may work if tried again (now or after a wait). */
  retryable: boolean;
}

/** An HTTP answer from the edge API that was not a success. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: string | undefined, message: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfter;
  }
}

/** The ApiFailure for a response that was not ok, from its error body when it has one. */
export async function apiFailureOf(response: Response): Promise<ApiFailure> {
  const text = await response.text().catch(() => '');
  const parsed = parseJson(errorBodySchema, text);
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiFailure(
    response.status,
    parsed.success ? parsed.data.error.code : undefined,
    parsed.success ? parsed.data.error.message : `HTTP ${response.status}`,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

/** No coach joined the room within the page's wait. */
export class CoachMissing extends Error {
  readonly waitedSeconds: number;
  constructor(waitedSeconds: number) {
    super(`no coach joined within ${waitedSeconds} s`);
    this.name = 'CoachMissing';
    this.waitedSeconds = waitedSeconds;
  }
}

/** The room connection ended without the user hanging up, and the SDK could not restore it. */
export class ConnectionDropped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ConnectionDropped';
  }
}

/** Where a failure happened, for the failures that look alike elsewhere (a TypeError, say). */
export type FailureStage = 'sign_in' | 'session' | 'room' | 'microphone';

function errorNameOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error
    ? String((error as { name: unknown }).name)
    : undefined;
}

export function describeFailure(error: unknown, stage: FailureStage): PlaygroundError {
  if (error instanceof ApiFailure) return describeApiFailure(error, stage);
  if (error instanceof CoachMissing) {
    return {
      kind: 'coach_missing',
      title: 'The coach did not join',
      message: `No coach joined the room within ${error.waitedSeconds} seconds. The agent process may be stopped or busy: start it (npm run dev starts it when its providers are configured), then try again.`,
      retryable: true,
    };
  }
  if (error instanceof ConnectionDropped) {
    return {
      kind: 'connection_dropped',
      title: 'Connection lost',
      message: `The connection to the room dropped and could not be restored (${error.message}). Reconnect to start a new call.`,
      retryable: true,
    };
  }
  const name = errorNameOf(error);
  if (stage === 'microphone') {
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      return {
        kind: 'microphone_refused',
        title: 'Microphone blocked',
        message:
          'The browser refused the microphone. Allow it for this page (the icon in the address bar), or type your messages instead.',
        retryable: true,
      };
    }
    return {
      kind: 'microphone_missing',
      title: 'No microphone',
      message:
        'No microphone could be opened. Plug one in and turn the microphone on, or type your messages instead.',
      retryable: true,
    };
  }
  if (stage === 'sign_in' || stage === 'session') {
    // fetch rejects with a TypeError when the API cannot be reached at all (or CORS refused it).
    return {
      kind: 'api_unreachable',
      title: 'The API cannot be reached',
      message:
        'The edge API did not answer. Check the API address; an API on another origin must allow this page in its CORS settings.',
      retryable: true,
    };
  }
  return {
    kind: 'connection_failed',
    title: 'Could not join the room',
    message:
      'The voice room could not be reached. Check that LiveKit is running at the address the API hands out, then try again.',
    retryable: true,
  };
}

function describeApiFailure(failure: ApiFailure, stage: FailureStage): PlaygroundError {
  if (stage === 'sign_in' && failure.status === 404) {
    return {
      kind: 'demo_unavailable',
      title: 'No demo sign-in here',
      message:
        'This API offers the demo user only on the local defaults. Paste a user JWT from your identity provider instead.',
      retryable: false,
    };
  }
  if (failure.status === 429) {
    const wait = failure.retryAfterSeconds ?? 60;
    return {
      kind: 'rate_limited',
      title: 'Too many calls',
      message: `Too many sessions were started in a short time. Try again in ${wait} seconds.`,
      retryable: true,
    };
  }
  if (failure.status === 401) {
    return {
      kind: 'signed_out',
      title: 'Sign in again',
      message: 'The API did not accept your token (it may have expired). Sign in again.',
      retryable: false,
    };
  }
  if (failure.status === 404 && failure.code === 'not_found') {
    return {
      kind: 'no_profile',
      title: 'No coaching profile',
      message: 'This user has no coaching profile yet, so the coach has nothing to coach from.',
      retryable: false,
    };
  }
  return {
    kind: 'api_error',
    title: 'The API refused',
    message: `The API answered ${failure.status}: ${failure.message}`,
    retryable: failure.status >= 500,
  };
}
