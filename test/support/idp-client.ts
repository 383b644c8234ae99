/** An IdP's SCIM client for fleet drills: definite answers are final, the rest is retried, as IdPs do. */
type Json = Record<string, unknown>;

export interface Counts {
  sent: number;
  acknowledged: number;
  refused503: number;
  refused429: number;
  unknown: number;
}

export interface Answer {
  status: number;
  body: Json;
}

/** An IdP's SCIM client through the load balancer: definite answers are final, the rest is retried. */
export class IdpClient {
  readonly counts: Counts = { sent: 0, acknowledged: 0, refused503: 0, refused429: 0, unknown: 0 };
  /** Each definite answer to a write (not a GET): when its attempt was sent and when it arrived (Date.now()). */
  readonly writesAcknowledged: Array<{ readonly sentAt: number; readonly at: number }> = [];

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async once(method: string, path: string, body?: unknown): Promise<Answer | undefined> {
    this.counts.sent += 1;
    try {
      const res = await fetch(`${this.baseUrl}/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/scim+json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      const answer = { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
      if (res.status === 503) this.counts.refused503 += 1;
      else if (res.status === 429) this.counts.refused429 += 1;
      else if (res.status === 502 || res.status === 504) this.counts.unknown += 1;
      return answer;
    } catch {
      this.counts.unknown += 1; // the connection broke: the write may or may not have happened
      return undefined;
    }
  }

  /** Retries until a definite answer (anything but 502/503/504/429 or a broken connection). */
  async definite(method: string, path: string, body?: unknown): Promise<Answer> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const sentAt = Date.now();
      const answer = await this.once(method, path, body);
      if (answer && ![429, 502, 503, 504].includes(answer.status)) {
        this.counts.acknowledged += 1;
        if (method !== 'GET') this.writesAcknowledged.push({ sentAt, at: Date.now() });
        return answer;
      }
      await new Promise((r) => setTimeout(r, 100 + attempt * 20));
    }
    throw new Error(`${method} ${path}: no definite answer after 200 attempts`);
  }

  /** One attempt only: an acknowledged answer, or the refusal. */
  async single(method: string, path: string, body?: unknown): Promise<Answer | undefined> {
    const answer = await this.once(method, path, body);
    if (answer && answer.status < 300) this.counts.acknowledged += 1;
    return answer;
  }
}
