// A TCP proxy for breaking connections on purpose: `cut()` resets every open connection (RST),
// `freeze()` stops forwarding bytes in both directions while keeping sockets open (a stalled
// connection: nothing arrives, nothing fails), `thaw()` resumes. TLS passes through untouched.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections counts connections accepted so far. */
  connections(): number;
  /** Cut resets every open connection; new connections are accepted as before. */
  cut(): void;
  /** Freeze stops forwarding on open and new connections until thaw(). */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
  /** Kubeconfig writes a copy of `kubeconfigPath` whose server goes through the proxy. */
  kubeconfig(kubeconfigPath: string, outPath: string): string;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let frozen = false;
  let accepted = 0;

  const pipe = (p: Pair): void => {
    p.client.pipe(p.upstream);
    p.upstream.pipe(p.client);
  };
  const unpipe = (p: Pair): void => {
    p.client.unpipe(p.upstream);
    p.upstream.unpipe(p.client);
    p.client.pause();
    p.upstream.pause();
  };

  const server: Server = createServer((client) => {
    accepted++;
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    if (frozen) unpipe(pair);
    else pipe(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    connections: () => accepted,
    cut() {
      for (const p of [...pairs]) {
        pairs.delete(p);
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
    },
    freeze() {
      frozen = true;
      for (const p of pairs) unpipe(p);
    },
    thaw() {
      frozen = false;
      for (const p of pairs) pipe(p);
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    kubeconfig(kubeconfigPath, outPath) {
      const text = readFileSync(kubeconfigPath, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`);
      writeFileSync(outPath, text, { mode: 0o600 });
      return outPath;
    },
  };
}
