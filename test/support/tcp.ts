/*
 * Loopback TCP connections for the sk_skb comparisons with Linux: a listening server, a connected
 * client and the accepted server end, their fds (for SOCKMAP updates) and what each end reads.
 */
import net from 'node:net';

/** The fd behind a Node socket or server handle (Linux). */
export function fdOf(s: unknown): number {
  return (s as { _handle: { fd: number } })._handle.fd;
}

/** A loopback TCP connection. */
export interface TcpPair {
  /** The listening socket. */
  readonly server: net.Server;
  /** The connecting end. */
  readonly client: net.Socket;
  /** The accepted end. */
  readonly accepted: net.Socket;
  /** What the client has read so far, in hex. */
  readonly clientGot: () => string;
  /** What the accepted end has read so far, in hex. */
  readonly acceptedGot: () => string;
  /** Closes all three. */
  close(): void;
}

/** Opens a connection on 127.0.0.1 (an ephemeral port), collecting what both ends read. */
export async function tcpPair(): Promise<TcpPair> {
  let accept: (s: net.Socket) => void = () => {};
  const acceptedP = new Promise<net.Socket>((r) => { accept = r; });
  const server = net.createServer((s) => accept(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let client!: net.Socket;
  await new Promise<void>((r) => { client = net.connect(server.address().port, '127.0.0.1', r); });
  const accepted = await acceptedP;
  let got = ['', ''];
  [client, accepted].forEach((s, i) => {
    s.on('error', () => {});
    s.on('data', (d) => { got[i] += Buffer.from(d).toString('hex'); });
  });
  return {
    server, client, accepted,
    clientGot: () => got[0]!,
    acceptedGot: () => got[1]!,
    close() {
      client.destroy();
      accepted.destroy();
      server.close();
      got = ['', ''];
    },
  };
}

/** Waits until `ready()` or half a second (long enough for a loopback message on a loaded machine), then a little more. */
export async function settle(ready: () => boolean): Promise<void> {
  for (let t = 0; t < 50 && !ready(); t++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 20));
}
