// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * pulsar for Deno: asyncio-style transports and protocols over Deno's
 * sockets, with per-request protocol consumers.
 *
 * - `transports`: `connect()`, `listen()`, `listenDatagram()`,
 *   `SocketTransport`, `DatagramTransport`; web streams over a transport
 *   with `StreamProtocol`, `openConnection()` and `listenStreams()`.
 * - `protocols`: `Protocol`, `DatagramProtocol`, `Connection`,
 *   `ProtocolConsumer`, `EventHandler`.
 * - `producers`: `Server`, `DatagramServer`, `Producer`,
 *   `ConnectionProducer`, `serveWorkers()` (a server on every core).
 * - `clients`: `Client`, `ConnectionPool`, `Request`, `DatagramClient`.
 * - `errors`: the typed errors, and the `ErrorReport` that `onError` receives.
 *
 * This entry point exports what a user writing a protocol, a server or a
 * client needs, and the types their signatures name. The folder entry points
 * (`@pulsar/net/transports`, ...) also carry the helpers for building new
 * producers: `checkSocketTransportOptions`, `MAX_READ_SIZE`,
 * `formatHostPort`.
 *
 * @example An echo server and a client, over transports and protocols
 * ```ts
 * import { connect, listen, Protocol } from "@pulsar/net";
 * import { assertEquals } from "@std/assert";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * class Client extends Protocol {
 *   reply = Promise.withResolvers<string>();
 *   override dataReceived(data: Uint8Array): void {
 *     this.reply.resolve(new TextDecoder().decode(data));
 *   }
 * }
 *
 * await using server = listen(() => new Echo(), { port: 0 });
 * const [transport, client] = await connect(() => new Client(), {
 *   port: server.port,
 * });
 * transport.write(new TextEncoder().encode("ciao luca"));
 * assertEquals(await client.reply.promise, "ciao luca");
 * transport.close();
 * await transport.closed;
 * ```
 *
 * @module
 */

export {
  AddrInUseError,
  ConnectionClosedError,
  ConnectionRefusedError,
  type ErrorHandler,
  type ErrorReport,
  ListenError,
  NetError,
  ProtocolError,
  TimeoutError,
  TlsError,
  WorkerError,
} from "./errors.ts";
export {
  type BaseProtocolInterface,
  connect,
  type ConnectOptions,
  type DatagramProtocolInterface,
  DatagramTransport,
  formatAddress,
  listen,
  listenDatagram,
  type ListenDatagramOptions,
  type ListenOptions,
  listenStreams,
  type ListenStreamsOptions,
  openConnection,
  type OpenConnectionOptions,
  type ProtocolInterface,
  SocketListener,
  SocketTransport,
  type SocketTransportOptions,
  type StreamHandler,
  StreamProtocol,
  type StreamProtocolOptions,
  type TlsClientOptions,
  type TlsServerOptions,
  Transport,
  type WriteBufferLimits,
} from "./transports/mod.ts";
export {
  BaseEvent,
  BaseProtocol,
  ChunkReader,
  type ChunkReaderOptions,
  Connection,
  type ConnectionEvents,
  type ConnectionOneTimeEvents,
  type ConnectionOptions,
  type ConsumerConnection,
  type ConsumerEvents,
  type ConsumerFactory,
  type ConsumerOneTimeEvents,
  DatagramProtocol,
  type DataOf,
  DEFAULT_MAX_MESSAGE_SIZE,
  DelimitedConsumer,
  type DelimitedConsumerOptions,
  DelimiterFinder,
  type Encodable,
  type EventCallback,
  EventHandler,
  type EventName,
  type EventNames,
  type EventOf,
  type EventSpec,
  type HandlerOf,
  ManyTimesEvent,
  OneTimeEvent,
  type ProducerInterface,
  Protocol,
  ProtocolConsumer,
} from "./protocols/mod.ts";
export {
  type ConnectionFactory,
  ConnectionProducer,
  DatagramServer,
  type DatagramServerEvents,
  type DatagramServerOptions,
  Producer,
  type ProducerEvents,
  Server,
  type ServerCloseOptions,
  type ServerEvents,
  type ServerOptions,
  serveWorkers,
  type ServeWorkersOptions,
  type WorkerContext,
  type WorkerErrorReport,
  type WorkerServer,
  type WorkerServerFactory,
  type WorkerServerOptions,
  type WorkerStatus,
  WorkerSupervisor,
} from "./producers/mod.ts";
export {
  type AcquireOptions,
  Client,
  type ClientEvents,
  type ClientOptions,
  ConnectionPool,
  type ConnectionPoolOptions,
  DatagramClient,
  type DatagramClientEvents,
  type DatagramClientOptions,
  type DatagramRequestOptions,
  type ReconnectOptions,
  type ReleaseOptions,
  Request,
  type RequestAddress,
  type RequestEvents,
  type RequestOptions,
} from "./clients/mod.ts";
