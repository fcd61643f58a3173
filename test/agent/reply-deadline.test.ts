/**
 * The reply deadline on its own: replies that arrive pass through untouched; a model that fails,
 * never starts, stalls part-way or says nothing ends in the apology, and its stream is cancelled.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadableStream } from 'node:stream/web';
import type { llm } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import {
  REPLY_APOLOGY,
  type ReplyPiece,
  withReplyDeadline,
} from '../../agent/resilience/reply-deadline.ts';
import type { Logger } from '../../shared/runtime.ts';

const DEADLINES = { firstTokenTimeoutMs: 100, stallTimeoutMs: 100 };

function recordingLogger(): Logger & { lines: Array<[string, Record<string, unknown>?]> } {
  const lines: Array<[string, Record<string, unknown>?]> = [];
  const record = (event: string, fields?: Record<string, unknown>) => lines.push([event, fields]);
  return { lines, info: record, warn: record, error: record };
}

const chunk = (content: string): llm.ChatChunk => ({
  id: 'c1',
  delta: { role: 'assistant', content },
});
const roleOnly: llm.ChatChunk = { id: 'c1', delta: { role: 'assistant', content: '' } };

/** A model stream: the pieces, then (unless told otherwise) its end; records a cancel. */
function model(pieces: ReplyPiece[], then: 'end' | 'hang' | 'fail' = 'end') {
  const state = { cancelled: false };
  const stream = new ReadableStream<ReplyPiece>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      if (then === 'end') controller.close();
      if (then === 'fail') controller.error(new TypeError('socket hang up'));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

async function collect(stream: ReadableStream<ReplyPiece>): Promise<ReplyPiece[]> {
  const out: ReplyPiece[] = [];
  for await (const piece of stream) out.push(piece);
  return out;
}

const spokenText = (pieces: ReplyPiece[]) =>
  pieces
    .map((piece) =>
      typeof piece === 'string' ? piece : typeof piece === 'symbol' ? '' : piece.delta?.content,
    )
    .join('');

describe('withReplyDeadline', () => {
  it('passes a reply that arrives through untouched', async () => {
    const logger = recordingLogger();
    const pieces = [roleOnly, chunk('Three sets '), chunk('of eight.')];
    const { stream } = model(pieces);
    expect(await collect(withReplyDeadline(stream, { ...DEADLINES, logger }))).toEqual(pieces);
    expect(logger.lines).toEqual([]);
  });

  it('passes a tool call through as the start of a reply', async () => {
    const logger = recordingLogger();
    const call: llm.ChatChunk = {
      id: 'c1',
      delta: {
        role: 'assistant',
        toolCalls: [
          {
            type: 'function_call',
            callId: 'call_1',
            name: 'get_todays_workout',
            args: '{}',
          } as unknown as llm.FunctionCall,
        ],
      },
    };
    const { stream } = model([call]);
    expect(await collect(withReplyDeadline(stream, { ...DEADLINES, logger }))).toEqual([call]);
  });

  it('apologises when the model never starts, and cancels it', async () => {
    const logger = recordingLogger();
    const { stream, state } = model([roleOnly], 'hang');
    const out = await collect(withReplyDeadline(stream, { ...DEADLINES, logger }));
    expect(spokenText(out)).toBe(REPLY_APOLOGY);
    expect(state.cancelled).toBe(true);
    expect(logger.lines).toEqual([
      ['llm_reply_apologised', { reason: 'first_token_timeout', partial: false }],
    ]);
  });

  it('finishes a reply that stalls part-way with the apology', async () => {
    const logger = recordingLogger();
    const { stream, state } = model([chunk('Today is legs.')], 'hang');
    const out = await collect(withReplyDeadline(stream, { ...DEADLINES, logger }));
    expect(spokenText(out)).toBe(`Today is legs. ${REPLY_APOLOGY}`);
    expect(state.cancelled).toBe(true);
    expect(logger.lines).toEqual([['llm_reply_apologised', { reason: 'stalled', partial: true }]]);
  });

  it('apologises when the model fails, logging only the error class', async () => {
    const logger = recordingLogger();
    const { stream } = model([roleOnly], 'fail');
    const out = await collect(withReplyDeadline(stream, { ...DEADLINES, logger }));
    expect(spokenText(out)).toBe(REPLY_APOLOGY);
    expect(logger.lines).toEqual([
      ['llm_reply_failed', { error: 'TypeError' }],
      ['llm_reply_apologised', { reason: 'error', partial: false }],
    ]);
  });

  it('apologises when the model ends without a word', async () => {
    const logger = recordingLogger();
    const { stream } = model([roleOnly]);
    const out = await collect(withReplyDeadline(stream, { ...DEADLINES, logger }));
    expect(spokenText(out)).toBe(REPLY_APOLOGY);
    expect(logger.lines).toEqual([['llm_reply_apologised', { reason: 'empty', partial: false }]]);
  });

  it('tells onApology the cause of each apology', async () => {
    const causes: string[] = [];
    const onApology = (cause: string) => causes.push(cause);
    const logger = recordingLogger();
    for (const [pieces, then] of [
      [[roleOnly], 'hang'],
      [[chunk('Today is legs.')], 'hang'],
      [[roleOnly], 'fail'],
      [[roleOnly], 'end'],
      [[chunk('Three sets.')], 'end'],
    ] as const) {
      const { stream } = model([...pieces], then);
      await collect(withReplyDeadline(stream, { ...DEADLINES, logger, onApology }));
    }
    expect(causes).toEqual(['first_token_timeout', 'stalled', 'error', 'empty']);
  });

  it('says and logs nothing when the session drops the reply before it starts', async () => {
    // What the framework does to a reply it no longer wants (the caller spoke again, or a
    // preemptive reply was discarded): it stops reading, releases its reader and cancels.
    const logger = recordingLogger();
    const { stream, state } = model([roleOnly], 'hang');
    const causes: string[] = [];
    const reply = withReplyDeadline(stream, {
      ...DEADLINES,
      logger,
      onApology: (cause) => causes.push(cause),
    });
    const reader = reply.getReader();
    expect(await reader.read()).toEqual({ done: false, value: roleOnly });
    const pending = reader.read().catch(() => 'released');
    await new Promise((resolve) => setTimeout(resolve, 20));
    reader.releaseLock();
    await reply.cancel('interrupted');
    expect(await pending).toBe('released');
    // Past the first-token deadline: a timer left running would apologise now.
    await new Promise((resolve) => setTimeout(resolve, DEADLINES.firstTokenTimeoutMs + 50));
    expect(state.cancelled).toBe(true);
    expect(logger.lines).toEqual([]);
    expect(causes).toEqual([]);
  });

  it('takes a first piece that arrived while the process was stalled, instead of apologising', async () => {
    // A starved job process runs nothing for a while; when it runs again its timers are
    // served before the network data that came in meanwhile. The model's first words, already
    // there, must win over a deadline that only looks passed.
    const logger = recordingLogger();
    const first = chunk('Today is legs.');
    // A helper process answers on a pipe, then leaves a file saying it has.
    const answered = join(mkdtempSync(join(tmpdir(), 'reply-deadline-')), 'answered');
    const stream = new ReadableStream<ReplyPiece>({
      start(controller) {
        const helper = spawn('sh', ['-c', 'sleep 0.05; echo ready; touch "$1"', 'sh', answered]);
        helper.stdout.once('data', () => {
          controller.enqueue(first);
          controller.close();
        });
      },
    });
    const reply = withReplyDeadline(stream, { ...DEADLINES, logger });
    const pieces = collect(reply);
    // The deadline is running once the first read has started.
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The stall is a long piece of the process's own work (as at a session's start), after which
    // the event loop comes round to its timers before it looks at the data that came in. It
    // lasts past the deadline and until the helper's answer is waiting on the pipe.
    await new Promise((resolve) => setImmediate(resolve));
    const pastDeadline = performance.now() + DEADLINES.firstTokenTimeoutMs + 50;
    while (performance.now() < pastDeadline || !existsSync(answered)) {
      // Busy, like a process the machine gave no CPU to.
    }
    expect(await pieces).toEqual([first]);
    expect(logger.lines).toEqual([]);
  });
});
