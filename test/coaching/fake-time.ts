/** A clock and timers that move only when the test says so, for rests of any length in no time. */
import type { Timers } from '../../agent/coaching/timers.ts';
import type { Clock } from '../../shared/runtime.ts';

export class FakeTime implements Clock, Timers {
  #now: number;
  #queue: { at: number; fn: () => void; id: number }[] = [];
  #nextId = 0;

  constructor(start = Date.parse('2026-02-02T09:00:00Z')) {
    this.#now = start;
  }

  now(): Date {
    return new Date(this.#now);
  }

  after(ms: number, fn: () => void): () => void {
    const id = this.#nextId++;
    this.#queue.push({ at: this.#now + ms, fn, id });
    return () => {
      this.#queue = this.#queue.filter((t) => t.id !== id);
    };
  }

  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#queue
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#queue = this.#queue.filter((t) => t !== due);
      this.#now = due.at;
      due.fn();
    }
    this.#now = target;
  }

  get pending(): number {
    return this.#queue.length;
  }
}
