/**
 * Configuration parsing shared by the edge API and the agent: the whole environment is checked
 * at once and every missing or bad variable is named in one message. Values never appear in the
 * message, so a secret cannot leak through a configuration error.
 */
import type { z } from 'zod';

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(component: string, problems: readonly string[]) {
    super(`${component} configuration is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Parses `env` with `schema`; treats empty strings as unset, as shells and .env files produce them. */
export function parseConfig<S extends z.ZodType>(
  component: string,
  schema: S,
  env: EnvSource,
): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value === 'string' && value.trim() !== '') cleaned[key] = value.trim();
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    return `${name}: ${issue.message}`;
  });
  throw new ConfigError(component, problems);
}

/**
 * Runs a configuration loader and, when it fails, adds its problems to `problems` instead of
 * throwing, so a process that checks several parts of its environment names every problem of
 * all of them in one ConfigError. Any other error still throws.
 */
export function collectConfigProblems<T>(load: () => T, problems: string[]): T | undefined {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
    return undefined;
  }
}
