/** A TCP proxy to a database that a test can cut and restore, to see how the service behaves while it is unreachable. */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port (and passes them on again). */
  restore(): Promise<void>;
  /** Drops every connection, and from now on accepts new ones only to drop them at once (until restore). */
  resetAll(): void;
  close(): Promise<void>;
  /**
   * Arms a cut: the next message to the database containing `marker` (on a connection that
   * carried `after` before, when given) is passed on, and the connection is dropped as its
   * answer comes back, so the database has run it but the client never hears. Resolves once
   * that happened.
   */
  dropAnswerTo(marker: string, after?: string): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let resetting = false;
  let armed: { marker: string; after: string | undefined; done: () => void } | undefined;

  const listen = (): Promise<void> =>
    new Promise((resolve) => {
      server = net.createServer((client) => {
        if (resetting) {
          client.destroy();
          return;
        }
        const upstream = net.connect(targetPort, targetHost);
        sockets.add(client);
        sockets.add(upstream);
        let dropNextAnswer = false;
        let sawAfter = false;
        client.on('data', (chunk: Buffer) => {
          if (armed && (armed.after === undefined || sawAfter) && chunk.includes(armed.marker)) dropNextAnswer = true;
          if (armed?.after !== undefined && chunk.includes(armed.after)) sawAfter = true;
          upstream.write(chunk);
        });
        upstream.on('data', (chunk: Buffer) => {
          if (dropNextAnswer && armed) {
            const done = armed.done;
            armed = undefined;
            end();
            done();
            return;
          }
          client.write(chunk);
        });
        const end = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });

  const cut = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    restore: async () => {
      resetting = false;
      if (!server) await listen();
    },
    resetAll: () => {
      resetting = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    close: cut,
    dropAnswerTo: (marker, after) => new Promise((done) => (armed = { marker, after, done })),
  };
}
