#!/usr/bin/env bash
# Regenerates the test certificates: a CA, and a leaf for localhost,
# 127.0.0.1 and ::1 signed by it (Deno rejects a CA used as the server's own
# certificate). Valid for 100 years; committed so tests need no openssl.
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -sha256 \
  -subj "/CN=pulsar test CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
  -keyout server.key -out server.csr
cat > server.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -days 36500 -sha256 -extfile server.ext -out server.pem
rm -f server.csr server.ext ca.srl ca.key
