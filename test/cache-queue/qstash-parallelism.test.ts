/**
 * The QStash stand-in delivers in parallel but never has more than `parallelism` callbacks in
 * flight: a destination that holds every request open sees exactly that many at once.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQStashLogQueue } from '../../workers/adapters/queue/qstash.ts';
import { type QStashStandin, startQStashStandin } from '../support/qstash-standin.ts';

const PARALLELISM = 3;
const MESSAGES = 8;

let qstash: QStashStandin;
const held: ServerResponse[] = [];
let inFlight = 0;
let mostInFlight = 0;
const destination = createServer((req, res) => {
  inFlight++;
  mostInFlight = Math.max(mostInFlight, inFlight);
  req.resume();
  req.once('end', () => held.push(res));
});

beforeAll(async () => {
  qstash = await startQStashStandin({ parallelism: PARALLELISM });
  await new Promise<void>((resolve) => destination.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const res of held.splice(0)) res.writeHead(200).end();
  await qstash?.close();
  destination.closeAllConnections();
  await new Promise<void>((resolve) => destination.close(() => resolve()));
});

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('QStash stand-in delivery parallelism', () => {
  it('keeps at most `parallelism` callbacks in flight and still delivers every message', async () => {
    const { port } = destination.address() as AddressInfo;
    const queue = createQStashLogQueue({
      url: qstash.url,
      token: qstash.token,
      callbackUrl: `http://127.0.0.1:${port}/v1/logs/deliver`,
    });
    await queue.publish(
      Array.from({ length: MESSAGES }, () => ({
        log_id: randomUUID(),
        user_id: randomUUID(),
        exercise: 'Deadlift',
        reps: 3,
        weight_kg: 140,
        logged_at: '2025-03-01T10:00:00.000Z',
      })),
    );

    // Answer one held callback at a time: each answer frees exactly one slot for the next.
    for (let answered = 0; answered < MESSAGES; answered++) {
      while (held.length === 0) await pause();
      await pause();
      inFlight--;
      held.shift()?.writeHead(200).end();
    }
    await qstash.waitForIdle();

    expect(mostInFlight).toBe(PARALLELISM);
    expect(qstash.deliveries.map((attempt) => attempt.status)).toEqual(Array(MESSAGES).fill(200));
  });
});
