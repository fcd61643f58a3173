/**
 * Adversarial inputs for the edge API's bad-input property tests: strings, numbers, JSON values,
 * raw bodies, headers, path segments and query strings built to break a parser or a database
 * write. Each generator mixes in the valid value often enough that the success path is exercised
 * too, so a property over them says something about what is accepted as well as what is refused.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { errorBodySchema } from '../../shared/schemas.ts';
import { UNKNOWN_USER_ID } from './seed-users.ts';

/** At least this many runs per route, as the issue asks. */
export const RUNS_PER_ROUTE = 1000;

export const SQL_LOOKING = [
  "'; DROP TABLE workout_logs; --",
  "' OR '1'='1",
  "Robert'); DELETE FROM users; --",
  '1; SELECT pg_sleep(10)',
  '$$; TRUNCATE users; $$',
  '\\x00',
  '%00',
  "admin'--",
] as const;

const CONTROL_AND_ODD = [
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\r\n',
  '\t',
  '\u007f',
  '\u0085',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\ud83d\ude00',
  'e\u0301',
  '\uffff',
] as const;

/** Text of every kind: plain, any code unit (lone surrogates too), controls, SQL, emoji, huge. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom(...CONTROL_AND_ODD), maxLength: 6 }),
  fc.constantFrom(...SQL_LOOKING),
  fc.constantFrom('', ' ', '   ', 'null', 'undefined', 'NaN', '[object Object]', '__proto__'),
  fc.integer({ min: 250, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/** Numbers at and beyond every bound the contract names, and the ones JSON makes odd. */
export const boundaryNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    0.01,
    999.99,
    1000,
    1000.0001,
    1001,
    500,
    501,
    2 ** 31,
    -(2 ** 31) - 1,
    Number.MAX_SAFE_INTEGER + 2,
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    1e-300,
  ),
  fc.integer({ min: -2000, max: 2000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Any JSON value, including deep ones. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  nastyString,
  boundaryNumber,
  fc.constantFrom(null, true, false, [], {}),
);

/** A value that should not be where it is put, or occasionally the right one. */
export function wrongOr<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: anyJson });
}

export const userIdValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SEED_USERS.map((s) => s.user.id)) },
  fc.constantFrom(...SEED_USERS.map((s) => s.user.id.toUpperCase())),
  fc.constant(UNKNOWN_USER_ID),
  fc.uuid(),
  nastyString,
);

const deepNesting = fc
  .integer({ min: 100, max: 30_000 })
  .chain((depth) =>
    fc
      .constantFrom<[string, string]>(['[', ']'], ['{"a":', '}'])
      .map(([open, close]) => `${open.repeat(depth)}1${close.repeat(depth)}`),
  );

/** Bytes that are not UTF-8: lone continuation bytes, overlong forms, surrogates, cut sequences. */
const invalidUtf8 = fc
  .tuple(
    fc.constantFrom(
      [0x80],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0xff],
      [0xfe, 0xff],
    ),
    fc.constantFrom('prefix', '{"agent_type":"', '{"entries":[{"exercise":"'),
  )
  .map(([bad, prefix]) => {
    const head = new TextEncoder().encode(prefix);
    const tail = new TextEncoder().encode('"}');
    return Uint8Array.from([...head, ...bad, ...tail]);
  });

export type RawBody = string | Uint8Array<ArrayBuffer>;

/**
 * Whole bodies: a JSON document of the route's near-valid shape (from `shaped`), or raw text that
 * is malformed, huge, deeply nested or not UTF-8.
 */
export function bodyFor(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<RawBody> {
  return fc.oneof(
    { weight: 6, arbitrary: shaped.map((value) => JSON.stringify(value) ?? '') },
    { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value) ?? '') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '{',
        '{"a":1,}',
        'null',
        '[]',
        'NaN',
        '{"weight_kg": 1e400}',
        '\ufeff{}',
        '{"__proto__": {"admin": true}}',
        '{"constructor": {"prototype": {}}}',
      ),
    },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: invalidUtf8 },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 60_000, max: 200_000 }).map((n) => `"${'a'.repeat(n)}"`),
    },
  );
}

/** Undefined four times in five. */
function rarely<T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: value },
  );
}

/** A strict object with a field dropped, a field added, or neither. */
export function mutateObject(value: fc.Arbitrary<Record<string, unknown>>) {
  return fc
    .tuple(value, rarely(fc.nat()), rarely(fc.tuple(fc.string({ maxLength: 12 }), anyJson)))
    .map(([object, drop, extra]) => {
      const result: Record<string, unknown> = { ...object };
      const keys = Object.keys(result);
      if (drop !== undefined && keys.length > 0) delete result[keys[drop % keys.length] ?? ''];
      if (extra !== undefined) result[extra[0]] = extra[1];
      return result;
    });
}

/** Authorization headers: a real user's or the service's, forged, expired, or plain noise. */
export interface Credentials {
  userToken(userId: string): Promise<string>;
}

export type AuthChoice =
  | { kind: 'user'; userId: string }
  | { kind: 'service' }
  | { kind: 'raw'; header: string }
  | { kind: 'none' };

export const authChoice: fc.Arbitrary<AuthChoice> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('user' as const),
      userId: fc.oneof(fc.constant(SEED_USERS[0]?.user.id ?? ''), userIdValue),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'service' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      header: fc.oneof(
        nastyString.filter(isHeaderSafe),
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          `Basic ${DEV_DEFAULTS.SERVICE_API_TOKEN}`,
          `Bearer ${DEV_DEFAULTS.SERVICE_API_TOKEN} extra`,
          `bearer\t${DEV_DEFAULTS.SERVICE_API_TOKEN.toUpperCase()}`,
          'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDEifQ.',
          'Bearer a.b.c',
        ),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
);

/** Header values must be ByteStrings without CR, LF or NUL, or Request refuses to be built. */
export function isHeaderSafe(value: string): boolean {
  return /^[\u0020-\u007e\u0080-\u00ff\t]*$/.test(value);
}

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/json; charset=latin1',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/JSON',
      '',
    ),
  },
);

/** Path segments: a user id in any form, or percent-encoding that is broken or sneaky. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: userIdValue.map(encodeURIComponentSafe) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '%',
      '%zz',
      '%C0%AF',
      '%ED%A0%80',
      '%FF',
      '..%2F..%2Fetc',
      '%00',
      '%2e%2e',
      '00000000-0000-4000-8000-000000000001%00',
      ' ',
      '%20',
    ),
  },
);

/** encodeURIComponent throws on lone surrogates; those go in as a raw broken escape instead. */
export function encodeURIComponentSafe(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

/** Query strings: the known keys with any value, repeated keys, unknown keys, broken escapes. */
export function queryString(known: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const pair = fc.oneof(
    ...Object.entries(known).map(([key, value]) =>
      value.map((v) => `${key}=${encodeURIComponentSafe(v)}`),
    ),
    fc.constantFrom('%', 'limit=%zz', 'since=%C0', 'a[b]=1', '__proto__=1', '=', '&&'),
    fc
      .tuple(fc.string({ maxLength: 8 }), nastyString)
      .map(([key, value]) => `${encodeURIComponentSafe(key)}=${encodeURIComponentSafe(value)}`),
  );
  return fc
    .array(pair, { maxLength: 4 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.join('&')}`));
}

/**
 * The contract's promise for any answer: never a 5xx the client caused (503 only where named),
 * and every error in the one error shape.
 */
export async function expectContractAnswer(
  response: Response,
  allowed: { success: number[]; alsoAllowed?: number[] },
): Promise<unknown> {
  const text = await response.text();
  const { status } = response;
  const known = [...allowed.success, ...(allowed.alsoAllowed ?? [])];
  if (!known.includes(status) && !(status >= 400 && status < 500)) {
    expect.fail(`status ${status} is not allowed here: ${text.slice(0, 300)}`);
  }
  if (allowed.success.includes(status)) return text === '' ? null : JSON.parse(text);
  const parsed = errorBodySchema.safeParse(JSON.parse(text));
  if (!parsed.success) expect.fail(`status ${status} without the error shape: ${text}`);
  return parsed.data;
}
