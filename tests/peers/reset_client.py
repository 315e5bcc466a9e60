"""A TCP client that resets its connection mid-request.

Connects to 127.0.0.1:PORT, sends DATA, waits DELAY seconds, then closes
with SO_LINGER 0, which sends a TCP reset.

Usage: python3 reset_client.py PORT DATA [DELAY]
"""
import socket
import struct
import sys
import time

port = int(sys.argv[1])
data = sys.argv[2].encode()
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.05

conn = socket.create_connection(("127.0.0.1", port))
conn.sendall(data)
time.sleep(delay)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
