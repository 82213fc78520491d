#!/usr/bin/env bash
# Certificates for upstream Crossplane core run out of cluster (see docs/dev/crossplane-peer.md).
#
#   bash test/infra/crossplane-peer/pki.sh DIR
#
# Writes (idempotent: existing files are kept):
#   DIR/pki/ca.key, DIR/pki/ca.crt      our own root CA. The key is PKCS#1 ("BEGIN RSA PRIVATE
#                                       KEY"): core reads the crossplane-root-ca secret with
#                                       x509.ParsePKCS1PrivateKey and refuses PKCS#8.
#   DIR/tls/function/{tls.crt,tls.key,ca.crt}
#                                       the function's gRPC server certificate, IP SAN 127.0.0.1
#                                       (core dials the FunctionRevision's status.endpoint, an IP),
#                                       signed by the CA; ca.crt is the CA, against which the
#                                       function verifies core's client certificate (mTLS).
set -euo pipefail
DIR="${1:?usage: pki.sh DIR}"
command -v openssl >/dev/null || { echo "pki.sh: openssl is required" >&2; exit 1; }
mkdir -p "$DIR/pki" "$DIR/tls/function"
umask 077
if [ ! -s "$DIR/pki/ca.crt" ]; then
  openssl genrsa -traditional -out "$DIR/pki/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$DIR/pki/ca.key" -subj "/CN=crossplane-root-ca" -days 3650 -out "$DIR/pki/ca.crt" 2>/dev/null
fi
F="$DIR/tls/function"
if [ ! -s "$F/tls.crt" ]; then
  openssl genrsa -traditional -out "$F/tls.key" 2048 2>/dev/null
  openssl req -new -key "$F/tls.key" -subj "/CN=function-patch-and-transform" -out "$F/tls.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$F/ext.cnf"
  openssl x509 -req -in "$F/tls.csr" -CA "$DIR/pki/ca.crt" -CAkey "$DIR/pki/ca.key" -CAcreateserial \
    -days 3650 -extfile "$F/ext.cnf" -out "$F/tls.crt" 2>/dev/null
  cp "$DIR/pki/ca.crt" "$F/ca.crt"
  rm -f "$F/tls.csr" "$F/ext.cnf"
fi
head -1 "$DIR/pki/ca.key" | grep -q 'BEGIN RSA PRIVATE KEY' || { echo "pki.sh: $DIR/pki/ca.key is not PKCS#1" >&2; exit 1; }
echo "pki: $DIR/pki/ca.crt, $F/tls.crt"
