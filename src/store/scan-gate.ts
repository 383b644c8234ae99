/**
 * Fair turns for searches that read a whole connection (`cost: 'scan'` in filter-sql.ts).
 * At most `perOrg` of one organization's scans run at once, and at most `total` of all
 * organizations' (below the pool size, so lookups and writes always find a connection).
 * Waiting scans are started organization by organization in turn, so a tenant sending many
 * expensive searches queues behind itself, not in front of others. A scan that waits too
 * long, or an organization with too many waiting, is refused with 503 and Retry-After.
 */
import { UnavailableError } from '../domain/errors/index.js';

export interface ScanGateLimits {
  readonly perOrg: number;
  readonly total: number;
  /** How long a scan may wait for its turn. */
  readonly maxWaitMs: number;
  /** How many scans of one organization may wait at once. */
  readonly maxQueuedPerOrg: number;
}

interface Waiter {
  readonly start: () => void;
  readonly timer: NodeJS.Timeout;
}

export class ScanGate {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, Waiter[]>();
  private total = 0;

  constructor(private readonly limits: ScanGateLimits) {}

  async run<T>(orgId: string, work: () => Promise<T>): Promise<T> {
    await this.turn(orgId);
    try {
      return await work();
    } finally {
      this.release(orgId);
    }
  }

  private canStart(orgId: string): boolean {
    return this.total < this.limits.total && (this.running.get(orgId) ?? 0) < this.limits.perOrg;
  }

  private begin(orgId: string): void {
    this.total++;
    this.running.set(orgId, (this.running.get(orgId) ?? 0) + 1);
  }

  private turn(orgId: string): Promise<void> {
    if (!this.waiting.has(orgId) && this.canStart(orgId)) {
      this.begin(orgId);
      return Promise.resolve();
    }
    const queue = this.waiting.get(orgId) ?? [];
    if (queue.length >= this.limits.maxQueuedPerOrg) {
      return Promise.reject(busy());
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const list = this.waiting.get(orgId);
          const i = list?.indexOf(waiter) ?? -1;
          if (list && i >= 0) list.splice(i, 1);
          if (list?.length === 0) this.waiting.delete(orgId);
          reject(busy());
        }, this.limits.maxWaitMs),
      };
      queue.push(waiter);
      this.waiting.set(orgId, queue);
    });
  }

  private release(orgId: string): void {
    this.total--;
    const n = (this.running.get(orgId) ?? 1) - 1;
    if (n > 0) this.running.set(orgId, n);
    else this.running.delete(orgId);
    this.dispatch();
  }

  /** Starts waiting scans, one organization after another (a Map iterates in insertion order; a served org goes last). */
  private dispatch(): void {
    let progressed = true;
    while (progressed && this.total < this.limits.total) {
      progressed = false;
      for (const [orgId, queue] of this.waiting) {
        if (!this.canStart(orgId)) continue;
        const next = queue.shift()!;
        this.waiting.delete(orgId);
        if (queue.length > 0) this.waiting.set(orgId, queue);
        this.begin(orgId);
        next.start();
        progressed = true;
        break;
      }
    }
  }
}

function busy(): UnavailableError {
  return new UnavailableError(
    'Too many searches of this organization are running; retry shortly (filters that an index cannot answer take turns)',
    2,
  );
}
