/** A client of the admin REST API (`/admin/api/v1`) with a bearer token or a console cookie. */
export interface AdminResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly contentType: string;
  readonly headers: Headers;
}

export interface AdminClient {
  request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<AdminResponse<T>>;
}

export function adminClient(
  baseUrl: string,
  credentials: { token?: string; cookie?: string; csrfToken?: string; origin?: string },
): AdminClient {
  return {
    async request<T>(method: string, path: string, body?: unknown): Promise<AdminResponse<T>> {
      const res = await fetch(`${baseUrl}/admin/api/v1${path}`, {
        method,
        headers: {
          ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
          ...(credentials.cookie ? { cookie: credentials.cookie } : {}),
          ...(credentials.csrfToken ? { 'x-csrf-token': credentials.csrfToken } : {}),
          ...(credentials.origin ? { origin: credentials.origin } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const contentType = res.headers.get('content-type') ?? '';
      const text = await res.text();
      const parsed = contentType.includes('json') && text ? (JSON.parse(text) as T) : (text as unknown as T);
      return { status: res.status, body: parsed, contentType, headers: res.headers };
    },
  };
}
