# Copyright 2026 the pulsar for Deno authors. MIT license.
"""Pulsar's echo server on Python's asyncio (TCP) and its UDP twin.

Usage: python3 bench/servers/asyncio_echo.py tcp|udp PORT
"""
import asyncio
import socket
import sys

SEPARATOR = b"\r\n\r\n"


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.pending = b""
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        data = self.pending + data if self.pending else data
        start = 0
        while True:
            end = data.find(SEPARATOR, start)
            if end < 0:
                break
            self.transport.write(data[start:end + 4])
            start = end + 4
        self.pending = data[start:]


class EchoUdp(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def main(kind, port):
    loop = asyncio.get_running_loop()
    if kind == "tcp":
        server = await loop.create_server(Echo, "127.0.0.1", port, backlog=4096)
        port = server.sockets[0].getsockname()[1]
    else:
        transport, _ = await loop.create_datagram_endpoint(
            EchoUdp, local_addr=("127.0.0.1", port))
        port = transport.get_extra_info("sockname")[1]
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await asyncio.Event().wait()


asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0))
