import client from 'prom-client';
import { BufferedCounter } from '../../src/telemetry/buffered-counter.js';

function counterWith(registry: client.Registry): BufferedCounter<'route' | 'status'> {
  return new BufferedCounter({
    name: 'test_requests_total',
    help: 'requests',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
}

function lineOf(text: string, labels: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(`test_requests_total{${labels}}`));
}

describe('BufferedCounter', () => {
  it('shows every count of every handle in the next scrape', async () => {
    const registry = new client.Registry();
    const counter = counterWith(registry);
    const ok = counter.handle({ route: '/Users', status: '200' });
    const missing = counter.handle({ route: '/Users', status: '404' });
    for (let i = 0; i < 5; i++) ok.inc();
    missing.inc();
    const text = await registry.metrics();
    expect(lineOf(text, 'route="/Users",status="200"')).toBe('test_requests_total{route="/Users",status="200"} 5');
    expect(lineOf(text, 'route="/Users",status="404"')).toBe('test_requests_total{route="/Users",status="404"} 1');
  });

  it('adds only what was counted since the last scrape, never a count twice', async () => {
    const registry = new client.Registry();
    const counter = counterWith(registry);
    const ok = counter.handle({ route: '/Groups', status: '204' });
    ok.inc();
    await registry.metrics();
    await registry.metrics();
    ok.inc();
    ok.inc();
    expect(lineOf(await registry.metrics(), 'route="/Groups",status="204"')).toBe(
      'test_requests_total{route="/Groups",status="204"} 3',
    );
  });

  it('adds up two handles of one label set', async () => {
    const registry = new client.Registry();
    const counter = counterWith(registry);
    counter.handle({ route: '/Users', status: '201' }).inc();
    counter.handle({ route: '/Users', status: '201' }).inc();
    expect(lineOf(await registry.metrics(), 'route="/Users",status="201"')).toBe(
      'test_requests_total{route="/Users",status="201"} 2',
    );
  });

  it('keeps the counts of handles it forgets', async () => {
    const registry = new client.Registry();
    const counter = counterWith(registry);
    const old = counter.handle({ route: '/Users', status: '200' });
    old.inc();
    old.inc();
    counter.forgetHandles();
    old.inc(); // a forgotten handle counts nowhere: callers make a new one
    counter.handle({ route: '/Users', status: '200' }).inc();
    expect(lineOf(await registry.metrics(), 'route="/Users",status="200"')).toBe(
      'test_requests_total{route="/Users",status="200"} 3',
    );
  });
});
