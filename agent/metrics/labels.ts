/**
 * Every label value the agent's metrics may carry. Labels come from closed lists only, so a
 * series can never name a user, a room or anything the user said, and the number of series stays
 * fixed however many sessions run. A value outside its list is recorded as `other`.
 */
import { SPECIALISTS } from '../../shared/schemas.ts';
import { REPLY_FAILURES } from '../resilience/reply-deadline.ts';
import { TOOL_NAMES } from '../tools.ts';
import { STALL_CAUSES } from './loop-stall-cause.ts';

export const OTHER = 'other';

export const TOOL_OUTCOMES = ['ok', 'rejected', 'failed'] as const;
/** ok: answered; fallback: the user heard "can you rephrase"; timeout: past the deadline. */
export const SPECIALIST_OUTCOMES = ['ok', 'fallback', 'timeout'] as const;
export const REJECTION_REASONS = [
  'invalid_metadata',
  'no_profile',
  'context_unavailable',
  'spool_unavailable',
] as const;
export const PROVIDER_KINDS = ['stt', 'tts', 'llm'] as const;
export const RECOVERED = ['true', 'false'] as const;

export type SpecialistOutcome = (typeof SPECIALIST_OUTCOMES)[number];
export type RejectionReason = (typeof REJECTION_REASONS)[number];
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** The allowed values of each label name the agent's own metrics use. */
export const LABEL_VALUES = {
  tool: [...TOOL_NAMES, OTHER],
  outcome: [...new Set([...TOOL_OUTCOMES, ...SPECIALIST_OUTCOMES]), OTHER],
  specialist: [...SPECIALISTS, OTHER],
  reason: [...REJECTION_REASONS, OTHER],
  provider: [...PROVIDER_KINDS, OTHER],
  recovered: RECOVERED,
  cause: [...REPLY_FAILURES, ...STALL_CAUSES, OTHER],
} as const satisfies Record<string, readonly string[]>;

/** `value` when it is one of `allowed`, else `other`. */
export function boundedLabel<T extends string>(
  value: unknown,
  allowed: readonly T[],
): T | typeof OTHER {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : OTHER;
}
