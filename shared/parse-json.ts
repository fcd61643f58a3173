/**
 * JSON text from outside (a request body, room metadata, a cache entry) read against a schema in
 * one step, so every caller tells "not JSON" apart from "JSON of the wrong shape" the same way and
 * never lets JSON.parse throw into its own control flow.
 */
import type { z } from 'zod';

export type ParsedJson<T> =
  | { success: true; data: T }
  /** `issues` is null when the text is not JSON at all. */
  | { success: false; issues: z.ZodError | null };

export function parseJson<S extends z.ZodType>(schema: S, text: string): ParsedJson<z.infer<S>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { success: false, issues: null };
  }
  const result = schema.safeParse(value);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, issues: result.error };
}
