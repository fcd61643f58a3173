import { randomUUID } from 'node:crypto';
import { Receiver } from '@upstash/qstash';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../shared/schemas.ts';
import { createQStashLogQueue } from '../../workers/adapters/queue/qstash.ts';
import { createQStashVerifier, rejectAllCallbacks } from '../../workers/adapters/queue/verifier.ts';
import {
  type QStashStandin,
  signQStashRequest,
  startQStashStandin,
} from '../support/qstash-standin.ts';
import { type CallbackServer, startCallbackServer } from './callback-server.ts';

const entry = (overrides: Partial<LogEntry> = {}): LogEntry => ({
  log_id: randomUUID(),
  user_id: '00000000-0000-4000-8000-000000000001',
  exercise: 'Back squat',
  reps: 5,
  weight_kg: 102.5,
  logged_at: '2025-03-01T10:00:00.000Z',
  ...overrides,
});

let qstash: QStashStandin;
let callbacks: CallbackServer;

beforeAll(async () => {
  qstash = await startQStashStandin({ retryDelayMs: () => 10 });
  callbacks = await startCallbackServer();
});

afterEach(async () => {
  await qstash.waitForIdle();
  qstash.duplicateDeliveries = false;
  callbacks.statusFor = () => 200;
  callbacks.received.length = 0;
  qstash.deliveries.length = 0;
  qstash.requests.length = 0;
});

afterAll(async () => {
  await qstash.close();
  await callbacks.close();
});

const queueFor = (standin: QStashStandin, token = standin.token) =>
  createQStashLogQueue({ url: standin.url, token, callbackUrl: callbacks.url });

const receiver = () =>
  new Receiver({
    currentSigningKey: qstash.currentSigningKey,
    nextSigningKey: qstash.nextSigningKey,
    devMode: false,
  });

describe('QStash log queue through @upstash/qstash and the stand-in', () => {
  it('publishes every entry of a call in one batch request, one message per entry', async () => {
    const entries = [entry(), entry({ reps: 8 }), entry({ exercise: 'Bench press' })];
    await queueFor(qstash).publish(entries);
    await qstash.waitForIdle();

    expect(qstash.requests).toEqual(['POST /v2/batch']);
    const bodies = callbacks.received.map((request) => JSON.parse(request.body));
    expect(bodies).toEqual(expect.arrayContaining(entries.map((e) => ({ entries: [e] }))));
    expect(bodies).toHaveLength(3);
    for (const request of callbacks.received) {
      expect(request.path).toBe('/v1/logs/deliver');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['upstash-retried']).toBe('0');
      expect(request.headers['upstash-message-id']).toMatch(/^msg_/);
    }
  });

  it('signs each callback so the real Receiver accepts it for exactly that body and URL', async () => {
    await queueFor(qstash).publish([entry()]);
    await qstash.waitForIdle();
    const [request] = callbacks.received;
    if (!request) throw new Error('no callback arrived');
    const signature = request.headers['upstash-signature'] ?? '';
    await expect(
      receiver().verify({ signature, body: request.body, url: callbacks.url }),
    ).resolves.toBe(true);
    await expect(
      receiver().verify({ signature, body: request.body.replace('5', '6'), url: callbacks.url }),
    ).rejects.toThrow(/body hash/);
    await expect(
      receiver().verify({ signature, body: request.body, url: `${callbacks.url}/other` }),
    ).rejects.toThrow(/subject/);
  });

  it('delivers a log_id once however often it is published', async () => {
    const queue = queueFor(qstash);
    const once = entry();
    await queue.publish([once]);
    await queue.publish([once, once]);
    await qstash.waitForIdle();
    expect(callbacks.received).toHaveLength(1);
  });

  it('retries a failing callback until it succeeds, counting in Upstash-Retried', async () => {
    callbacks.statusFor = (index) => (index < 2 ? 503 : 200);
    await queueFor(qstash).publish([entry()]);
    await qstash.waitForIdle();
    expect(qstash.deliveries.map((d) => [d.retried, d.status])).toEqual([
      [0, 503],
      [1, 503],
      [2, 200],
    ]);
    expect(callbacks.received.map((r) => r.headers['upstash-retried'])).toEqual(['0', '1', '2']);
  });

  it('stops after the configured retries and dead-letters the message', async () => {
    callbacks.statusFor = () => 500;
    const deadBefore = qstash.deadLetters.length;
    await createQStashLogQueue({
      url: qstash.url,
      token: qstash.token,
      callbackUrl: callbacks.url,
      deliveryRetries: 1,
    }).publish([entry()]);
    await qstash.waitForIdle();
    expect(qstash.deliveries).toHaveLength(2);
    expect(qstash.deadLetters).toHaveLength(deadBefore + 1);
  });

  it('delivers twice when told to', async () => {
    qstash.duplicateDeliveries = true;
    await queueFor(qstash).publish([entry()]);
    await qstash.waitForIdle();
    expect(callbacks.received).toHaveLength(2);
    expect(callbacks.received[0]?.body).toBe(callbacks.received[1]?.body);
  });

  it('pings QStash and fails the ping with a wrong token', async () => {
    await expect(queueFor(qstash).ping()).resolves.toBeUndefined();
    await expect(queueFor(qstash, 'wrong-token').ping()).rejects.toThrow();
  });

  it('fails publish and ping when QStash cannot be reached', async () => {
    const gone = await startQStashStandin();
    await gone.close();
    const queue = createQStashLogQueue({
      url: gone.url,
      token: gone.token,
      callbackUrl: callbacks.url,
    });
    await expect(queue.publish([entry()])).rejects.toThrow();
    await expect(queue.ping()).rejects.toThrow();
  });
});

describe('callback verifiers', () => {
  const body = JSON.stringify({ entries: [entry()] });
  const url = 'https://api.example.com/v1/logs/deliver';
  const verifier = () =>
    createQStashVerifier({
      currentSigningKey: qstash.currentSigningKey,
      nextSigningKey: qstash.nextSigningKey,
    });

  it('accepts a signature made with the current or the next signing key', async () => {
    for (const signingKey of [qstash.currentSigningKey, qstash.nextSigningKey]) {
      const signature = await signQStashRequest({ signingKey, url, body });
      await expect(verifier().verify({ signature, body, url })).resolves.toBe(true);
    }
  });

  it('refuses another key, another body, another URL, an expired token and no signature', async () => {
    const good = await signQStashRequest({ signingKey: qstash.currentSigningKey, url, body });
    const otherKey = await signQStashRequest({ signingKey: 'sig_someone_else', url, body });
    const expired = await signQStashRequest({
      signingKey: qstash.currentSigningKey,
      url,
      body,
      expiresInSeconds: -60,
    });
    const v = verifier();
    await expect(v.verify({ signature: otherKey, body, url })).resolves.toBe(false);
    await expect(v.verify({ signature: good, body: `${body} `, url })).resolves.toBe(false);
    await expect(v.verify({ signature: good, body, url: `${url}?x=1` })).resolves.toBe(false);
    await expect(v.verify({ signature: expired, body, url })).resolves.toBe(false);
    await expect(v.verify({ signature: '', body, url })).resolves.toBe(false);
    await expect(v.verify({ signature: 'not.a.jwt', body, url })).resolves.toBe(false);
  });

  it('refuses everything on the embedded default, even a valid QStash signature', async () => {
    const signature = await signQStashRequest({ signingKey: qstash.currentSigningKey, url, body });
    await expect(rejectAllCallbacks.verify({ signature, body, url })).resolves.toBe(false);
  });
});
