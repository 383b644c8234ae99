/** A small keep-alive HTTP client and a fixed-concurrency runner for benchmarks. */
import http from 'node:http';

export interface HttpResult {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    baseUrl: string,
    private readonly token: string,
    sockets: number,
    private readonly prefix = '/scim/v2',
  ) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request(method: string, path: string, body?: unknown): Promise<HttpResult> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method,
          path: `${this.prefix}${path}`,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/scim+json',
            ...(payload !== undefined
              ? { 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface RunStats {
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `count` tasks with `concurrency` in flight; every task must succeed (a failure aborts the run). */
export async function runConcurrent(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<HttpResult>,
): Promise<RunStats> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const r = await task(i);
      if (r.status >= 300) throw new Error(`task ${i} failed with ${r.status}: ${r.body.slice(0, 300)}`);
      latencies.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return {
    count,
    seconds,
    perSecond: count / seconds,
    medianMs: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
  };
}
