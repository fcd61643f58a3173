/**
 * One rest between sets: started, lengthened, skipped, paused and resumed by voice. It only keeps
 * time and calls back at the warning and at the end; what is said then is the caller's business.
 */
import type { Clock } from '../../shared/runtime.ts';
import type { Timers } from './timers.ts';

export interface RestTimerOptions {
  clock: Clock;
  timers: Timers;
  /** Seconds before the end at which `onWarning` runs; null for no warning. */
  warningSeconds: number | null;
  onWarning: () => void;
  onEnd: () => void;
}

export class RestTimer {
  readonly #options: RestTimerOptions;
  /** While running: when it ends (ms since epoch). */
  #endsAt: number | null = null;
  /** While paused: the milliseconds left. */
  #pausedLeftMs: number | null = null;
  #cancels: (() => void)[] = [];

  constructor(options: RestTimerOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#endsAt !== null;
  }

  get paused(): boolean {
    return this.#pausedLeftMs !== null;
  }

  /** Whole seconds left (rounded up), or null when no rest is running or paused. */
  secondsLeft(): number | null {
    const ms = this.#msLeft();
    return ms === null ? null : Math.ceil(ms / 1000);
  }

  start(seconds: number): void {
    this.#clearTimers();
    this.#pausedLeftMs = null;
    this.#schedule(Math.max(0, seconds) * 1000);
  }

  /** Lengthens the running or paused rest; starts one when there is none. */
  addTime(seconds: number): void {
    const left = this.#msLeft() ?? 0;
    if (this.paused) this.#pausedLeftMs = left + seconds * 1000;
    else this.start((left + seconds * 1000) / 1000);
  }

  /** Ends the rest now without the end call. False when there was none. */
  stop(): boolean {
    const had = this.running || this.paused;
    this.#clearTimers();
    this.#endsAt = null;
    this.#pausedLeftMs = null;
    return had;
  }

  pause(): void {
    if (!this.running) return;
    const left = this.#msLeft() ?? 0;
    this.#clearTimers();
    this.#endsAt = null;
    this.#pausedLeftMs = left;
  }

  resume(): void {
    if (this.#pausedLeftMs === null) return;
    const left = this.#pausedLeftMs;
    this.#pausedLeftMs = null;
    this.#schedule(left);
  }

  #msLeft(): number | null {
    if (this.#pausedLeftMs !== null) return this.#pausedLeftMs;
    if (this.#endsAt === null) return null;
    return Math.max(0, this.#endsAt - this.#options.clock.now().getTime());
  }

  #schedule(ms: number): void {
    const { timers, warningSeconds, onWarning, onEnd } = this.#options;
    this.#endsAt = this.#options.clock.now().getTime() + ms;
    // A warning only makes sense when the rest is clearly longer than the warning itself.
    if (warningSeconds !== null && ms > warningSeconds * 2000) {
      this.#cancels.push(timers.after(ms - warningSeconds * 1000, onWarning));
    }
    this.#cancels.push(
      timers.after(ms, () => {
        this.#cancels = [];
        this.#endsAt = null;
        onEnd();
      }),
    );
  }

  #clearTimers(): void {
    for (const cancel of this.#cancels) cancel();
    this.#cancels = [];
  }
}
