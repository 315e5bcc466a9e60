// Copyright 2026 the pulsar for Deno authors. MIT license.
// Test setup shared by the transport tests: a transport connected to a raw
// peer, and a raw pair of TCP connections.
import { connect, type ConnectOptions } from "../transports/connect.ts";
import type { ProtocolInterface } from "../transports/protocol_interface.ts";
import type { SocketTransport } from "../transports/socket_transport.ts";

/**
 * A raw listener and a transport connected to it (its protocol made by
 * `protocolFactory`, with `options`), with the raw accepted peer.
 */
export async function transportPair<P extends ProtocolInterface>(
  protocolFactory: () => P,
  options: Omit<ConnectOptions, "port"> = {},
): Promise<{
  listener: Deno.TcpListener;
  peer: Deno.TcpConn;
  transport: SocketTransport;
  protocol: P;
}> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const [transport, protocol] = await connect(protocolFactory, {
    ...options,
    port: listener.addr.port,
  });
  return { listener, peer: await accepted, transport, protocol };
}

/**
 * A connected pair of raw TCP connections (their listener is closed once
 * they are); disposing closes the client side.
 */
export async function rawConns(): Promise<{
  client: Deno.TcpConn;
  accepted: Deno.TcpConn;
  [Symbol.dispose](): void;
}> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pending = listener.accept();
  const client = await Deno.connect({ port: listener.addr.port });
  const accepted = await pending;
  return {
    client,
    accepted,
    [Symbol.dispose]() {
      try {
        client.close();
      } catch {
        // Closed by the test.
      }
    },
  };
}
