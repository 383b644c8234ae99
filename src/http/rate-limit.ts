/** Express middleware over the shared rate limiters: 429 with Retry-After past a key's budget. */
import type { NextFunction, Request, Response } from 'express';
import { RateLimitedError } from '../domain/errors/index.js';
import type { SharedRateLimiter } from '../limits/shared-rate-limiter.js';
import { rateLimited } from '../telemetry/metrics.js';

/** Takes one request from `key(req)`'s budget, or refuses it. */
export async function takeOrRefuse(limiter: SharedRateLimiter, limit: string, key: string): Promise<void> {
  if (!limiter.enabled) return;
  const decision = await limiter.take(`${limit}:${key}`);
  if (!decision.allowed) {
    rateLimited.inc({ limit });
    throw new RateLimitedError(decision.retryAfterSeconds);
  }
}

/** Sign-in routes: a budget per client IP (behind a load balancer, set TRUST_PROXY so req.ip is the client's). */
export function signInRateLimit(limiter: SharedRateLimiter) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    try {
      await takeOrRefuse(limiter, 'sign_in', req.ip ?? req.socket.remoteAddress ?? 'unknown');
      next();
    } catch (error) {
      next(error);
    }
  };
}
