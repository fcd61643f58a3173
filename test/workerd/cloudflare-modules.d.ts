// The few workerd modules the workerd tests import, typed to what they use; the full runtime
// types (@cloudflare/workers-types) would clash with the DOM and Node types the project uses.

declare module 'cloudflare:workers' {
  /** The Worker's bindings, as vitest.config.ts and wrangler.toml define them. */
  export const env: Readonly<Record<string, unknown>>;
  /** The Worker under test's own entrypoints; `default` is workers/index.ts. */
  export const exports: {
    default: { fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> };
  };
}

declare module 'cloudflare:test' {
  import type { ExecutionContext } from 'hono';

  export function createExecutionContext(): ExecutionContext;
  export function waitOnExecutionContext(ctx: ExecutionContext): Promise<void>;
}
