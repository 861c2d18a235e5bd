/**
 * A readers-writer lock shared by the decode workers through a SharedArrayBuffer.
 *
 * Why: libvips keeps one error buffer per process; sharp reads a failure's message from it and
 * clears it after every call, failed or not. With sharp calls running on several threads a
 * failure's message can vanish ("Unknown error") or mix with another's, and the failure reason
 * (truncated, corrupt, ...) is read from that message. So sharp work runs in shared mode, and a
 * failed decode is repeated in exclusive mode, alone in the process, to get its own message.
 * Failures are rare, so exclusivity costs nothing in the common case.
 *
 * Layout: cell 0 holds the writer's thread id (0 = none); cell 1 + i is 1 while worker slot i is
 * inside a shared section. Seq-cst Atomics make "announce, then check the other side" safe.
 */
export class DecodeLock {
  private readonly cells: Int32Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    /** Stop waiting after this long and go on: a stuck lock must never stall indexing. */
    private readonly maxWaitMs = 30_000,
  ) {
    this.cells = new Int32Array(buffer);
  }

  static createBuffer(slots: number): SharedArrayBuffer {
    return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (1 + slots));
  }

  async shared<T>(slot: number, task: () => Promise<T>): Promise<T> {
    this.acquireShared(slot);
    try {
      return await task();
    } finally {
      this.releaseShared(slot);
    }
  }

  async exclusive<T>(ownerId: number, task: () => Promise<T>): Promise<T> {
    const acquired = this.acquireExclusive(ownerId);
    try {
      return await task();
    } finally {
      if (acquired) this.releaseExclusive(ownerId);
    }
  }

  /** Free whatever a worker that exited held (called by the pool). */
  releaseAllOf(slot: number, ownerId: number): void {
    this.releaseShared(slot);
    this.releaseExclusive(ownerId);
  }

  private acquireShared(slot: number): void {
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      const writer = Atomics.load(this.cells, 0);
      if (writer === 0) {
        Atomics.store(this.cells, 1 + slot, 1);
        if (Atomics.load(this.cells, 0) === 0) return;
        this.releaseShared(slot); // a writer came in between: let it go first
      }
      if (!this.waitWhile(0, writer === 0 ? Atomics.load(this.cells, 0) : writer, deadline)) {
        Atomics.store(this.cells, 1 + slot, 1);
        return;
      }
    }
  }

  private releaseShared(slot: number): void {
    Atomics.store(this.cells, 1 + slot, 0);
    Atomics.notify(this.cells, 1 + slot);
  }

  private acquireExclusive(ownerId: number): boolean {
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      const writer = Atomics.compareExchange(this.cells, 0, 0, ownerId);
      if (writer === 0) break;
      if (!this.waitWhile(0, writer, deadline)) return false;
    }
    for (let cell = 1; cell < this.cells.length; cell++) {
      // Our own slot is not in a shared section: the caller left it before asking.
      while (Atomics.load(this.cells, cell) === 1) {
        if (!this.waitWhile(cell, 1, deadline)) return true;
      }
    }
    return true;
  }

  private releaseExclusive(ownerId: number): void {
    if (Atomics.compareExchange(this.cells, 0, ownerId, 0) === ownerId) {
      Atomics.notify(this.cells, 0);
    }
  }

  /** Block (worker threads only) while cell == value; false once the deadline has passed. */
  private waitWhile(cell: number, value: number, deadline: number): boolean {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    // Blocking is fine: a worker runs one job at a time and has nothing else to do meanwhile.
    Atomics.wait(this.cells, cell, value, Math.min(left, 1000));
    return true;
  }
}
