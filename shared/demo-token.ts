/** The answer of the development-only `POST /dev/demo-token` (workers/routes/demo-token.ts). */
import { z } from 'zod';
import { userIdSchema } from './schemas.ts';

export const DEMO_TOKEN_PATH = '/dev/demo-token';

export const demoTokenResponseSchema = z.object({
  user_token: z.string().min(1),
  user_id: userIdSchema,
  expires_at: z.iso.datetime({ offset: true }),
});
export type DemoTokenResponse = z.infer<typeof demoTokenResponseSchema>;
