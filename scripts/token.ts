/**
 * Prints a user JWT for local calls to the edge API:
 *   npm run token -- [--user <uuid>] [--ttl <seconds>]
 * Signed with AUTH_JWT_SECRET from the environment, or the dev default the local server uses.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEMO_USER_ID } from '../drizzle/seed-data.ts';
import { withDevDefaults } from '../shared/dev-defaults.ts';
import { userIdSchema } from '../shared/schemas.ts';
import { mintUserToken } from '../shared/user-token.ts';

const argsSchema = z.object({
  user: userIdSchema.default(DEMO_USER_ID),
  ttl: z.coerce
    .number()
    .int()
    .positive({ error: 'must be a positive whole number of seconds' })
    .default(3600),
});

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: npm run token -- [--user <uuid>] [--ttl <seconds>]\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: { user: { type: 'string' }, ttl: { type: 'string' } },
    strict: true,
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const args = argsSchema.safeParse(values);
if (!args.success) fail(z.prettifyError(args.error));

const env = withDevDefaults(process.env);
const secret = env.AUTH_JWT_SECRET;
if (!secret) fail('AUTH_JWT_SECRET is not set');
process.stdout.write(
  `${await mintUserToken({
    userId: args.data.user,
    secret,
    ttlSeconds: args.data.ttl,
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
  })}\n`,
);
