/**
 * Fixed-window rate limits whose budget is shared by every instance through the database.
 *
 * An instance counts requests locally and adds them to the key's row in batches: the first
 * request of a window, then every `batch` requests or `flushMs`, whichever comes first, each
 * add returning the window's total over all instances. So a request costs no database round
 * trip in the common case, and the fleet can overshoot a limit by at most `batch` requests
 * per instance (batch = limit / 50, at least 1: exact for small limits). While the database
 * is unreachable, requests are let through on local counts alone (the database being down
 * refuses them anyway).
 */
import type { RateLimitRepository } from '../store/repositories/rate-limits.js';

export interface RateDecision {
  readonly allowed: boolean;
  /** Seconds until the window ends (for Retry-After). */
  readonly retryAfterSeconds: number;
}

interface Window {
  start: number;
  /** The fleet's total as last read back. */
  total: number;
  /** Requests counted here and not yet added. */
  pending: number;
  flushing: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
}

const MAX_KEYS = 100_000;

export class SharedRateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly batch: number;
  private lastPrune = 0;

  constructor(
    private readonly repo: RateLimitRepository,
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly flushMs = 250,
  ) {
    this.batch = Math.max(1, Math.floor(limit / 50));
  }

  get enabled(): boolean {
    return this.limit > 0;
  }

  async take(key: string, now = Date.now()): Promise<RateDecision> {
    if (!this.enabled) return { allowed: true, retryAfterSeconds: 0 };
    const start = now - (now % this.windowMs);
    const retryAfterSeconds = Math.max(1, Math.ceil((start + this.windowMs - now) / 1000));
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      if (w?.timer) clearTimeout(w.timer);
      if (this.windows.size >= MAX_KEYS) this.windows.clear();
      w = { start, total: 0, pending: 0, flushing: undefined, timer: undefined };
      this.windows.set(key, w);
      this.prune(now);
    }
    if (w.total + w.pending >= this.limit) return { allowed: false, retryAfterSeconds };
    w.pending += 1;
    const first = w.total === 0 && w.pending === 1;
    if (first || w.pending >= this.batch) {
      // Learn the fleet's total before going on: the window's first request, or a full batch.
      await this.flush(key, w);
      if (w.total > this.limit) return { allowed: false, retryAfterSeconds };
    } else if (!w.timer) {
      w.timer = setTimeout(() => void this.flush(key, w!), this.flushMs);
      w.timer.unref();
    }
    return { allowed: true, retryAfterSeconds: 0 };
  }

  private flush(key: string, w: Window): Promise<void> {
    if (w.timer) {
      clearTimeout(w.timer);
      w.timer = undefined;
    }
    const run = async (): Promise<void> => {
      if (w.flushing) await w.flushing;
      const count = w.pending;
      if (count === 0) return;
      w.pending = 0;
      try {
        w.total = await this.repo.add(key, w.start, count);
      } catch {
        // The database is away: keep counting here; the next flush adds these again.
        w.pending += count;
      }
    };
    const p = run().finally(() => {
      if (w.flushing === p) w.flushing = undefined;
    });
    w.flushing = p;
    return p;
  }

  private prune(now: number): void {
    if (now - this.lastPrune < this.windowMs) return;
    this.lastPrune = now;
    this.repo.prune(now - 2 * this.windowMs).catch(() => undefined);
  }
}
