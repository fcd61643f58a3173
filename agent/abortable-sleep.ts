/**
 * Waits `ms`, or less if `signal` aborts first; never rejects, so a retry loop can sleep and then
 * check its own stop condition. The abort listener is removed when the time is up, so a
 * long-lived signal shared by many sleeps does not collect listeners.
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
