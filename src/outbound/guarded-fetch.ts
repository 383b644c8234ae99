/**
 * The one way the service fetches a URL an admin typed (SAML metadata, OIDC discovery, JWKS
 * and token endpoints, and every later one such as webhooks). An admin of one organization
 * must not be able to make the service probe the operator's network, so:
 *
 * - the address is checked when the connection is made, after DNS resolution (so a name
 *   that resolves to an internal address, or is re-pointed after a first check, is
 *   refused): no private, loopback, link-local, carrier-grade NAT, multicast or reserved
 *   range, nor the cloud metadata services, unless the operator lists the network in
 *   OUTBOUND_ALLOWED_NETWORKS (loopback for local trials, an internal IdP);
 * - redirects are followed by hand, each hop checked like the first (five at most);
 * - the answer is bounded in size and time;
 * - errors say what to fix, never what a host answered (no status, no body).
 *
 * Connections go through undici (Node's own HTTP client) with a lookup that refuses
 * disallowed addresses; an IP-literal host skips DNS, so it is checked before connecting.
 */
import dns, { type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch, request as undiciRequest, type RequestInit as UndiciRequestInit } from 'undici';

/** Ranges never fetched unless an operator allows them (IANA special-purpose registries, cloud metadata). */
const DENIED_V4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, and 169.254.169.254 (metadata)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;
const DENIED_V6 = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16], // 6to4 can carry any IPv4 address
  ['fc00::', 7], // unique local, and AWS's fd00:ec2::254 (metadata)
  ['fe80::', 10],
  ['ff00::', 8],
] as const;

const DENIED = new BlockList();
for (const [net, prefix] of DENIED_V4) DENIED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of DENIED_V6) DENIED.addSubnet(net, prefix, 'ipv6');

export type OutboundProblem =
  'invalid_url' | 'not_https' | 'blocked' | 'unreachable' | 'timeout' | 'too_large' | 'redirects';

/** A fetch the guard refused or that failed; `message` is safe to show to the admin who asked. */
export class OutboundError extends Error {
  constructor(
    readonly problem: OutboundProblem,
    message: string,
  ) {
    super(message);
  }
}

const MESSAGES: Record<OutboundProblem, string> = {
  invalid_url: 'is not an http(s) URL',
  not_https: 'is not https (plain http only reaches networks an operator allows with OUTBOUND_ALLOWED_NETWORKS)',
  blocked:
    'resolves to an address the service does not fetch (private, loopback, link-local or metadata networks; an operator can allow a network with OUTBOUND_ALLOWED_NETWORKS)',
  unreachable: 'could not be reached',
  timeout: 'did not answer in time',
  too_large: 'answered with more than the service reads',
  redirects: 'redirects too many times, or to an address that is not https',
};

function problem(kind: OutboundProblem, url: string): OutboundError {
  return new OutboundError(kind, `${url} ${MESSAGES[kind]}`);
}

export interface OutboundAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** The options of a Fetch API call that the guarded fetch passes on. */
export interface FetchOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: ArrayBuffer | ReadableStream | string | Uint8Array | URLSearchParams | null;
  readonly signal?: AbortSignal | null;
}

export interface OutboundLimits {
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;

/** The operator's allowed networks, from `a.b.c.d/n`, `a.b.c.d`, `x::y/n` or `x::y` entries. */
export function parseAllowedNetworks(entries: readonly string[]): BlockList | string {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) return `${JSON.stringify(entry)} is not an IP address or network`;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) {
      list.addAddress(address!, type);
      continue;
    }
    const bits = Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
      return `${JSON.stringify(entry)} has an invalid prefix length`;
    list.addSubnet(address!, bits, type);
  }
  return list;
}

export class GuardedFetch {
  private readonly agent: Agent;

  constructor(private readonly allowed: BlockList = new BlockList()) {
    this.agent = new Agent({
      connect: { lookup: (hostname, options, callback) => this.lookup(hostname, options, callback) },
    });
  }

  /** Whether the service may connect to this address. */
  permits(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.allowed.check(address, type)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return this.permits(mapped);
    return !DENIED.check(address, type);
  }

  /** GET a URL, following redirects through the same checks; the body is read up to the limit. */
  async get(url: string, limits: OutboundLimits = {}, headers: Record<string, string> = {}): Promise<OutboundAnswer> {
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const answer = await this.request(current, { method: 'GET', headers, redirect: 'manual' }, limits);
      const location = answer.headers.get('location');
      if (answer.status < 300 || answer.status >= 400 || location === null) return answer;
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw problem('redirects', url);
      }
      if (next.protocol !== 'https:' && new URL(current).protocol === 'https:') throw problem('redirects', url);
      current = next.toString();
    }
    throw problem('redirects', url);
  }

  /**
   * POST to a URL an admin gave (a webhook): no redirect followed (a 3xx is the answer).
   * With `httpsOnly`, plain http is refused unless every address the host resolves to is in
   * a network the operator allowed (a receiver on the operator's own network, or a trial).
   */
  async post(
    url: string,
    body: string,
    headers: Record<string, string>,
    limits: OutboundLimits & { readonly httpsOnly?: boolean } = {},
  ): Promise<OutboundAnswer> {
    if (limits.httpsOnly) await this.refusePlainHttp(url);
    return this.send(url, body, headers, limits);
  }

  /**
   * One POST through undici's own request API rather than its fetch: deliveries are many and
   * small, and fetch's WHATWG streams and objects cost several times the memory and time per
   * request. Same agent (so the same address checks), same limits, no redirect followed.
   */
  private async send(
    url: string,
    body: string,
    headers: Record<string, string>,
    limits: OutboundLimits,
  ): Promise<OutboundAnswer> {
    const target = this.checkedTarget(url);
    const { timeout, timer } = deadline(limits);
    const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
    try {
      const response = await undiciRequest(target, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: timeout.signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).byteLength;
        if (size > maxBytes) {
          response.body.destroy();
          throw problem('too_large', url);
        }
        chunks.push(chunk as Buffer);
      }
      const answerHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      return { status: response.statusCode, headers: answerHeaders, body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof OutboundError) throw error;
      if (timeout.signal.aborted) throw problem('timeout', url);
      if (blockedCause(error)) throw problem('blocked', url);
      throw problem('unreachable', url);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether a URL may be used for deliveries as typed (https, or http to an allowed network); the reason if not. */
  async checkDeliveryUrl(url: string): Promise<string | undefined> {
    try {
      await this.refusePlainHttp(url);
      const literal = this.checkedTarget(url).hostname.replace(/^\[|\]$/g, '');
      if (isIP(literal) === 0) {
        // Said at once when the name resolves to a refused address (it is checked again at
        // every connection; a name that does not resolve yet is left to the deliveries).
        const addresses = await dns.promises.lookup(literal, { all: true }).catch(() => []);
        if (addresses.some((a) => !this.permits(a.address))) throw problem('blocked', url);
      }
      return undefined;
    } catch (error) {
      if (error instanceof OutboundError) return error.message;
      throw error;
    }
  }

  private async refusePlainHttp(url: string): Promise<void> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw problem('invalid_url', url);
    }
    if (target.protocol === 'https:') return;
    if (target.protocol !== 'http:') throw problem('invalid_url', url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const addresses =
      isIP(host) !== 0
        ? [host]
        : await dns.promises.lookup(host, { all: true }).then(
            (all) => all.map((a) => a.address),
            () => [] as string[],
          );
    const allowed = (a: string): boolean => this.allowed.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
    if (addresses.length === 0 || !addresses.every(allowed)) throw problem('not_https', url);
  }

  /** A Fetch API function for libraries that take one (openid-client): same checks, no redirects followed. */
  readonly fetch = async (input: string | URL, init: FetchOptions = {}): Promise<Response> => {
    const url = input.toString();
    const answer = await this.request(
      url,
      {
        ...(init.method !== undefined ? { method: init.method } : {}),
        ...(init.headers !== undefined ? { headers: init.headers } : {}),
        // The Fetch API's body types and undici's differ only in their TypeScript declarations.
        ...(init.body !== undefined && init.body !== null ? { body: init.body as UndiciRequestInit['body'] } : {}),
        redirect: 'manual',
      },
      { timeoutMs: DEFAULT_TIMEOUT_MS, maxBytes: DEFAULT_MAX_BYTES },
      init.signal ?? undefined,
    );
    const body = answer.status === 204 || answer.status === 304 ? null : new Uint8Array(answer.body);
    return new Response(body, {
      status: answer.status,
      headers: answer.headers,
    });
  };

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** The URL parsed, http(s), and not an IP literal the guard refuses (a name is checked when resolved). */
  private checkedTarget(url: string): URL {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw problem('invalid_url', url);
    }
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw problem('invalid_url', url);
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) !== 0 && !this.permits(literal)) throw problem('blocked', url);
    return target;
  }

  private async request(
    url: string,
    init: UndiciRequestInit,
    limits: OutboundLimits,
    outerSignal?: AbortSignal,
  ): Promise<OutboundAnswer> {
    const target = this.checkedTarget(url);
    const { timeout, timer } = deadline(limits);
    const signal = outerSignal ? AbortSignal.any([timeout.signal, outerSignal]) : timeout.signal;
    const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
    try {
      const response = await undiciFetch(target, { ...init, dispatcher: this.agent, signal });
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > maxBytes) {
        await response.body?.cancel();
        throw problem('too_large', url);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body ?? []) {
        size += (chunk as Uint8Array).byteLength;
        if (size > maxBytes) throw problem('too_large', url);
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      return { status: response.status, headers: new Headers([...response.headers]), body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof OutboundError) throw error;
      if (timeout.signal.aborted) throw problem('timeout', url);
      if (blockedCause(error)) throw problem('blocked', url);
      if (outerSignal?.aborted) throw error;
      throw problem('unreachable', url);
    } finally {
      clearTimeout(timer);
    }
  }

  private lookup(
    hostname: string,
    options: dns.LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      // Every address the name has must be allowed: a client may connect to any of them.
      if (addresses.length === 0 || addresses.some((a) => !this.permits(a.address))) {
        return callback(Object.assign(new Error(`${hostname} resolves to a refused address`), { code: BLOCKED }), []);
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }
}

const BLOCKED = 'IB_OUTBOUND_BLOCKED';

/**
 * A request's deadline: a timer cleared as soon as the answer is read (AbortSignal.timeout
 * would keep each request's signal, and what listens to it, alive for the whole timeout).
 */
function deadline(limits: OutboundLimits): { timeout: AbortController; timer: NodeJS.Timeout } {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), limits.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  timer.unref();
  return { timeout, timer };
}

function blockedCause(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === BLOCKED) return true;
  }
  return false;
}
