"""A TCP peer that resets the connection: Deno cannot send a reset itself.

Listens on 127.0.0.1 (port 0), prints the port, accepts one connection,
reads until it has READ_BYTES bytes (default 1), writes REPLY (default
nothing), then closes with SO_LINGER 0, which sends a TCP reset.

Usage: python3 reset_peer.py [READ_BYTES] [REPLY]
"""
import socket
import struct
import sys

read_bytes = int(sys.argv[1]) if len(sys.argv) > 1 else 1
reply = sys.argv[2].encode() if len(sys.argv) > 2 else b""

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
print(server.getsockname()[1], flush=True)
conn, _ = server.accept()
got = 0
while got < read_bytes:
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += len(chunk)
if reply:
    conn.sendall(reply)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
server.close()
