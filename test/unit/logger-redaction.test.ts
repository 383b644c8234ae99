import { Writable } from 'node:stream';
import { createLogger, redactUrl } from '../../src/telemetry/logger.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('log redaction', () => {
  it('masks secret-bearing query parameters and keeps the others', () => {
    const url = redactUrl('/sso/c1/saml/acs?SAMLResponse=PHNhbWw%2B&RelayState=%2Fhome&code=abc&state=xyz');
    expect(url).not.toContain('PHNhbWw');
    expect(url).not.toContain('abc');
    expect(url).not.toContain('xyz');
    expect(url).toContain('RelayState=%2Fhome');
  });

  it('leaves a URL without a query untouched', () => {
    expect(redactUrl('/scim/v2/Users')).toBe('/scim/v2/Users');
  });

  it('redacts authorization, cookies, tokens and SAML responses wherever they are logged', () => {
    const { stream, lines } = capture();
    const logger = createLogger('info', stream);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer ibscim_x', cookie: 'sid=1' } },
        body: { SAMLResponse: 'PHNhbWw+', token: 'ibadm_y', clientSecret: 's3cret' },
        result: { token: 'ibscim_z' },
      },
      'hello',
    );
    const text = JSON.stringify(lines());
    for (const secret of ['ibscim_x', 'sid=1', 'PHNhbWw+', 'ibadm_y', 's3cret', 'ibscim_z']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[Redacted]');
  });
});
