/**
 * Global setup of the workerd project: starts the local services in Node and hands their URLs to
 * the Worker as bindings. This project resolves imports with workerd's conditions (its vite
 * config carries the Cloudflare plugin), under which ws, pg and the Neon driver load their
 * browser or Workers builds; so the services are loaded through the root project, which resolves
 * for Node.
 */
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Every variable and secret of the Worker under test. */
    workerdBindings: Record<string, string>;
    /** Loopback port on which workerd serves the Worker under test (its PUBLIC_BASE_URL). */
    workerdPort: number;
    /** A user of its own (a copy of a demo user), so no other test file touches its cache entry. */
    workerdUserId: string;
    /** Control server of the OpenAI stand-in behind the orchestrator (openai-control.ts). */
    openaiControlUrl: string;
  }
}

type LocalServicesModule = typeof import('./local-services.ts');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { startLocalServices } = (await project.vitest
    .getRootProject()
    .import('./test/workerd/local-services.ts')) as LocalServicesModule;
  const services = await startLocalServices();
  project.provide('workerdBindings', services.bindings);
  project.provide('workerdPort', services.port);
  project.provide('workerdUserId', services.userId);
  project.provide('openaiControlUrl', services.openaiControlUrl);
  return () => services.close();
}
