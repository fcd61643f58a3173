/**
 * Items that arrive over time, kept in arrival order, with a way to wait for the next one. Each
 * reader keeps its own position, so one buffer can be read again from the start (a reply retried
 * on a fresh speech stream) or read while it is still growing (a greeting played while its audio
 * is still arriving).
 */
export class AppendOnlyBuffer<T> {
  readonly items: T[] = [];
  ended = false;
  #waiters: Array<() => void> = [];

  add(item: T): void {
    this.items.push(item);
    this.#wake();
  }

  end(): void {
    this.ended = true;
    this.#wake();
  }

  /** Resolves at the next `add` or `end`. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
