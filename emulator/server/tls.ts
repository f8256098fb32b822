/**
 * HTTPS for the emulator without openssl or a dependency: a small DER encoder that issues, at
 * start, a throwaway certificate authority (EC P-256) and a server certificate it signs for the
 * emulator's host names. The CA's private key is dropped once the server certificate is signed, so
 * trusting the CA file trusts this one emulator run and nothing else.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from "node:crypto";
import { reasonOf } from "./api-error";
import type { KeyObject } from "node:crypto";
import { isIP } from "node:net";

/** A key and certificate in PEM, as `https.createServer` takes them. */
export interface PemKeyPair {
  readonly cert: string;
  readonly key: string;
}

/** What {@link issueEmulatorCertificates} makes. */
export interface EmulatorCertificates extends PemKeyPair {
  /** The CA certificate that signed `cert` (PEM): what a client trusts (`caCert`). */
  readonly caCert: string;
}

// --- DER ---------------------------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) {
    return Buffer.from([n]);
  }
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) {
    bytes.unshift(rest % 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items);
const octetString = (content: Buffer): Buffer => tlv(0x04, content);
const bitString = (content: Buffer): Buffer => tlv(0x03, Buffer.from([0]), content);
const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, "utf8"));
const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));
/** `[n] EXPLICIT`. */
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 | n, content);

/** A non-negative INTEGER from big-endian bytes. */
function unsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1] ?? 0) < 0x80) {
    start += 1;
  }
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function objectIdentifier(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes: number[] = [first * 40 + second];
  for (const arc of rest) {
    const base128: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) {
      base128.unshift((value & 0x7f) | 0x80);
    }
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, "Z"); // YYYYMMDDhhmmssZ
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

// --- X.509 -------------------------------------------------------------------------------------

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

const ORGANIZATION = "pulumi-cyclecloud emulator";

function name(commonName: string): Buffer {
  const attribute = (oid: string, value: string): Buffer =>
    set(sequence(objectIdentifier(oid), utf8String(value)));
  return sequence(attribute(OID.organization, ORGANIZATION), attribute(OID.commonName, commonName));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

/** KeyUsage bits, numbered as in RFC 5280 (0 = digitalSignature, 5 = keyCertSign, 6 = cRLSign). */
function keyUsage(bits: readonly number[]): Buffer {
  const byte = bits.reduce((value, bit) => value | (0x80 >> bit), 0);
  const unused = Math.min(...bits.map((bit) => 7 - bit));
  return tlv(0x03, Buffer.from([unused, byte]));
}

/** The 16 bytes of an IPv6 address in text form (`::1`, `fe80::1`, `::ffff:127.0.0.1`). */
function ipv6Bytes(text: string): Buffer {
  const [head = "", tail] = text.split("::");
  const groups = (part: string | undefined): number[] => {
    if (part === undefined || part === "") {
      return [];
    }
    return part.split(":").flatMap((group) => {
      if (group.includes(".")) {
        const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
        return [a * 256 + b, c * 256 + d];
      }
      return [parseInt(group, 16)];
    });
  };
  const left = groups(head);
  const right = groups(tail);
  const middle = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const buffer = Buffer.alloc(16);
  [...left, ...middle, ...right].forEach((group, index) => buffer.writeUInt16BE(group, index * 2));
  return buffer;
}

/** One GeneralName: `iPAddress [7]` for an address, `dNSName [2]` otherwise. */
function generalName(host: string): Buffer {
  const bare = host.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  switch (isIP(bare)) {
    case 4:
      return tlv(0x87, Buffer.from(bare.split(".").map(Number)));
    case 6:
      return tlv(0x87, ipv6Bytes(bare));
    default:
      return tlv(0x82, Buffer.from(bare.toLowerCase(), "ascii"));
  }
}

/** Identifies a key: SHA-1 of its subjectPublicKey bits (RFC 5280 4.2.1.2, method 1). */
function keyIdentifier(spki: Buffer): Buffer {
  // An EC P-256 SubjectPublicKeyInfo ends with the 65-byte uncompressed point.
  return createHash("sha1")
    .update(spki.subarray(spki.length - 65))
    .digest();
}

interface CertificateSpec {
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly subjectKey: KeyObject;
  readonly issuerKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly Buffer[];
}

function certificate(spec: CertificateSpec): string {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive, 16 bytes
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, tlv(0x02, Buffer.from([2]))), // v3
    unsignedInteger(serial),
    algorithm,
    spec.issuer,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spec.subjectKey.export({ type: "spki", format: "der" }),
    explicit(3, sequence(...spec.extensions)),
  );
  const signature = sign("sha256", tbs, spec.issuerKey); // DER ECDSA-Sig-Value
  const der = sequence(tbs, algorithm, bitString(signature));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** How long generated certificates are valid: one year, from an hour ago (clock skew). */
const VALIDITY_MS = 365 * 24 * 60 * 60 * 1000;
const BACKDATE_MS = 60 * 60 * 1000;

/**
 * A new CA and a server certificate it signs, for `127.0.0.1`, `::1`, `localhost` and `hosts`
 * (IP addresses become IP names, anything else a DNS name). The CA's private key is not kept.
 */
export function issueEmulatorCertificates(
  hosts: readonly string[],
  now: Date = new Date(),
): EmulatorCertificates {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(now.getTime() + VALIDITY_MS);
  const ca = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const server = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const caId = keyIdentifier(ca.publicKey.export({ type: "spki", format: "der" }));
  const serverId = keyIdentifier(server.publicKey.export({ type: "spki", format: "der" }));
  const caName = name(`CycleCloud emulator CA ${caId.subarray(0, 4).toString("hex")}`);

  const caCert = certificate({
    subject: caName,
    issuer: caName,
    subjectKey: ca.publicKey,
    issuerKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true), tlv(0x02, Buffer.from([0])))),
      extension(OID.keyUsage, true, keyUsage([5, 6])),
      extension(OID.subjectKeyIdentifier, false, octetString(caId)),
    ],
  });

  const names = [...new Set(["127.0.0.1", "::1", "localhost", ...hosts].map((host) => host.toLowerCase()))];
  const cert = certificate({
    subject: name(hosts[0] ?? "127.0.0.1"),
    issuer: caName,
    subjectKey: server.publicKey,
    issuerKey: ca.privateKey,
    notBefore,
    notAfter,
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, keyUsage([0])),
      extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
      extension(OID.subjectAltName, false, sequence(...names.map(generalName))),
      extension(OID.subjectKeyIdentifier, false, octetString(serverId)),
      extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, caId))),
    ],
  });
  return {
    caCert,
    cert,
    key: server.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** Throws a `TypeError` naming `where` unless `pair` is a PEM certificate (the first of a chain) and its private key. */
export function checkKeyPair(pair: PemKeyPair, where: { cert: string; key: string }): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pair.cert);
  } catch (error) {
    throw new TypeError(`${where.cert} is not a PEM certificate (${reasonOf(error)})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pair.key);
  } catch (error) {
    throw new TypeError(`${where.key} is not a PEM private key (${reasonOf(error)})`);
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new TypeError(`${where.key} is not the private key of the certificate ${where.cert}`);
  }
}
