import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type forgeTypes from 'node-forge';

type Forge = typeof forgeTypes;
let forgeLib: Forge | undefined;

/** Forge loads node-forge on first use: only creating certificates needs it, not a restart. */
function forge(): Forge {
  forgeLib ??= createRequire(import.meta.url)('node-forge') as Forge;
  return forgeLib;
}

/** Pki is the CA and serving certificate of the embedded API server (PEM). */
export interface Pki {
  caCert: string;
  cert: string;
  key: string;
}

function serial(): string {
  // Positive 16-byte serial (leading nibble < 8).
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f;
  return b.toString('hex');
}

function keyPair(): { publicKey: forgeTypes.pki.PublicKey; privateKey: forgeTypes.pki.PrivateKey; pem: string } {
  // Node generates the RSA key natively (fast); forge only builds and signs the certificates.
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const priv = forge().pki.privateKeyFromPem(privateKey);
  const pub = forge().pki.setRsaPublicKey((priv as forgeTypes.pki.rsa.PrivateKey).n, (priv as forgeTypes.pki.rsa.PrivateKey).e);
  return { publicKey: pub, privateKey: priv, pem: privateKey };
}

function sanEntries(hosts: string[]): Array<{ type: number; value?: string; ip?: string }> {
  const out: Array<{ type: number; value?: string; ip?: string }> = [];
  for (const h of new Set(hosts)) {
    if (isIP(h) !== 0) out.push({ type: 7, ip: h });
    else out.push({ type: 2, value: h });
  }
  return out;
}

function createCa(): { cert: forgeTypes.pki.Certificate; key: forgeTypes.pki.PrivateKey; certPem: string; keyPem: string } {
  const kp = keyPair();
  const cert = forge().pki.createCertificate();
  cert.publicKey = kp.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
  const subject = [{ name: 'commonName', value: 'trellis-ca' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(kp.privateKey as forgeTypes.pki.rsa.PrivateKey, forge().md.sha256.create());
  return { cert, key: kp.privateKey, certPem: forge().pki.certificateToPem(cert), keyPem: kp.pem };
}

function createServing(
  ca: { cert: forgeTypes.pki.Certificate; key: forgeTypes.pki.PrivateKey },
  hosts: string[],
): { certPem: string; keyPem: string } {
  const kp = keyPair();
  const cert = forge().pki.createCertificate();
  cert.publicKey = kp.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: 'trellis-apiserver' }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: sanEntries(hosts) },
  ]);
  cert.sign(ca.key as forgeTypes.pki.rsa.PrivateKey, forge().md.sha256.create());
  return { certPem: forge().pki.certificateToPem(cert), keyPem: kp.pem };
}

function coversHosts(certPem: string, hosts: string[]): boolean {
  const x = new X509Certificate(certPem);
  if (new Date(x.validTo).getTime() < Date.now() + 24 * 3600 * 1000) return false;
  return hosts.every((h) => (isIP(h) !== 0 ? x.checkIP(h) !== undefined : x.checkHost(h) !== undefined));
}

/**
 * EnsurePki loads the CA and serving certificate from `dir`, creating them on first start (and a
 * new serving certificate when the hosts it must cover changed or it is about to expire). Keys are
 * written with mode 0600.
 */
export function ensurePki(dir: string, hosts: string[]): Pki {
  const caCertPath = join(dir, 'ca.crt');
  const caKeyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'apiserver.crt');
  const keyPath = join(dir, 'apiserver.key');
  let caCertPem: string;
  let caKeyPem: string;
  if (existsSync(caCertPath) && existsSync(caKeyPath)) {
    caCertPem = readFileSync(caCertPath, 'utf8');
    caKeyPem = readFileSync(caKeyPath, 'utf8');
  } else {
    const ca = createCa();
    caCertPem = ca.certPem;
    caKeyPem = ca.keyPem;
    writeFileSync(caKeyPath, caKeyPem, { mode: 0o600 });
    writeFileSync(caCertPath, caCertPem, { mode: 0o644 });
  }
  if (existsSync(certPath) && existsSync(keyPath) && coversHosts(readFileSync(certPath, 'utf8'), hosts)) {
    return { caCert: caCertPem, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
  }
  const serving = createServing({ cert: forge().pki.certificateFromPem(caCertPem), key: forge().pki.privateKeyFromPem(caKeyPem) }, hosts);
  writeFileSync(keyPath, serving.keyPem, { mode: 0o600 });
  writeFileSync(certPath, serving.certPem, { mode: 0o644 });
  return { caCert: caCertPem, cert: serving.certPem, key: serving.keyPem };
}
