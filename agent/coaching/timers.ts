/**
 * Timers as a small port, so the rest timer runs on real time in a session and on a fake clock
 * in tests, without monkey-patching globals.
 */
export interface Timers {
  /** Runs `fn` once after `ms`; the returned function cancels it (a no-op once it ran). */
  after(ms: number, fn: () => void): () => void;
}

export const systemTimers: Timers = {
  after(ms, fn) {
    const handle = setTimeout(fn, ms);
    // A pending rest must never keep a finished process alive.
    handle.unref?.();
    return () => clearTimeout(handle);
  },
};
