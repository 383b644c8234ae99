/**
 * A real HTTP receiver for webhook tests: records every request, answers as the test says
 * (a status, headers, a delay, or not at all), and verifies Standard Webhooks signatures
 * with the `standardwebhooks` package, as a factory service would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
  readonly body?: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: Received[];
  /** How the next requests are answered (default 200). */
  answer: (req: Received) => Answer;
  /** Messages whose signature verifies with `secret`, parsed; throws on any that does not. */
  verified(secret: string): Array<{ id: string; type: string; timestamp: string; data: Record<string, unknown> }>;
  /** Resolves once `n` requests have arrived (or rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const receiver: Partial<WebhookReceiver> & { answer: WebhookReceiver['answer'] } = {
    answer: () => ({ status: 200 }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Received = {
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(entry);
      for (const w of waiters.splice(0)) w();
      const answer = receiver.answer(entry);
      const send = (): void => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
      else send();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    verified(secret: string) {
      const wh = new Webhook(secret);
      return received.map(
        (r) =>
          wh.verify(r.body, {
            'webhook-id': String(r.headers['webhook-id']),
            'webhook-timestamp': String(r.headers['webhook-timestamp']),
            'webhook-signature': String(r.headers['webhook-signature']),
          }) as { id: string; type: string; timestamp: string; data: Record<string, unknown> },
      );
    },
    async waitFor(n: number, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms for ${n} requests, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50).unref();
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as WebhookReceiver;
}
