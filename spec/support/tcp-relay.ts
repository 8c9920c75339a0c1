/**
 * A TCP relay on 127.0.0.1 between a client and a real server, that can be partitioned: while frozen it forwards
 * nothing in either direction and closes nothing (what a network partition looks like to both ends: no FIN, no RST).
 * Thawed, it delivers what waited, in order, on the same connections (as TCP does once a partition heals).
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** What the relay's connections share: whether it is frozen, and the sockets open. */
interface RelayState {
  frozen: boolean;
  readonly sockets: Set<Socket>;
}

export class TcpRelay {
  private constructor(private readonly server: Server, private readonly state: RelayState, readonly port: number) {}

  /** A relay listening on an ephemeral port, forwarding to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number): Promise<TcpRelay> {
    const state: RelayState = { frozen: false, sockets: new Set() };
    const server = createServer((inbound) => {
      const outbound = connect(targetPort, '127.0.0.1');
      for (const socket of [inbound, outbound]) {
        state.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          state.sockets.delete(socket);
          inbound.destroy();
          outbound.destroy();
        });
        // Connections made while frozen wait too.
        if (state.frozen) socket.pause();
      }
      inbound.on('data', (chunk) => outbound.write(chunk));
      outbound.on('data', (chunk) => inbound.write(chunk));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpRelay(server, state, (server.address() as AddressInfo).port);
  }

  /** Stops forwarding without closing anything: what arrives waits in the sockets' buffers. */
  freeze(): void {
    this.state.frozen = true;
    for (const socket of this.state.sockets) socket.pause();
  }

  /** Forwards again, what waited first. */
  thaw(): void {
    this.state.frozen = false;
    for (const socket of this.state.sockets) socket.resume();
  }

  async close(): Promise<void> {
    for (const socket of this.state.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
