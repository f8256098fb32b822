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
import type { KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { reasonOf } from "./http-io";

/** A key and certificate in PEM, as `https.createServer` takes them. */
export interface PemKeyPair {
  readonly cert: string;
  readonly key: string;
}

// --- DER ---------------------------------------------------------------------------------------

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const length: number[] = [];
  for (let rest = body.length; rest > 0; rest = Math.floor(rest / 256)) length.unshift(rest % 256);
  const header = body.length < 0x80 ? [tag, body.length] : [tag, 0x80 | length.length, ...length];
  return Buffer.concat([Buffer.from(header), body]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
const octetString = (content: Buffer): Buffer => tlv(0x04, content);
const TRUE = tlv(0x01, Buffer.from([0xff]));

function objectIdentifier(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
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

function name(commonName: string): Buffer {
  const attribute = (oid: string, value: string): Buffer =>
    tlv(0x31, sequence(objectIdentifier(oid), tlv(0x0c, Buffer.from(value, "utf8"))));
  return sequence(
    attribute(OID.organization, "pulumi-cyclecloud emulator"),
    attribute(OID.commonName, commonName),
  );
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [TRUE] : []), octetString(value));
}

/** KeyUsage bits, numbered as in RFC 5280 (0 = digitalSignature, 5 = keyCertSign, 6 = cRLSign). */
function keyUsage(bits: readonly number[]): Buffer {
  const byte = bits.reduce((value, bit) => value | (0x80 >> bit), 0);
  return tlv(0x03, Buffer.from([Math.min(...bits.map((bit) => 7 - bit)), byte]));
}

/** The 16 bytes of an IPv6 address in text form (`::1`, `fe80::1`, `::ffff:127.0.0.1`). */
function ipv6Bytes(text: string): Buffer {
  // An IPv4 tail becomes its two groups; `::` stands for as many zero groups as are missing.
  const hex = text.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_, a: string, b: string, c: string, d: string) =>
      `${(Number(a) * 256 + Number(b)).toString(16)}:${(Number(c) * 256 + Number(d)).toString(16)}`,
  );
  const [head = "", tail] = hex.split("::");
  const groups = (part = ""): number[] => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const [left, right] = [groups(head), groups(tail)];
  const middle = new Array<number>(tail === undefined ? 0 : 8 - left.length - right.length).fill(0);
  const buffer = Buffer.alloc(16);
  [...left, ...middle, ...right].forEach((group, index) => buffer.writeUInt16BE(group, index * 2));
  return buffer;
}

/** One GeneralName: `iPAddress [7]` for an address, `dNSName [2]` otherwise. */
function generalName(host: string): Buffer {
  const bare = host.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const version = isIP(bare);
  if (version === 0) return tlv(0x82, Buffer.from(bare.toLowerCase(), "ascii"));
  return tlv(0x87, version === 4 ? Buffer.from(bare.split(".").map(Number)) : ipv6Bytes(bare));
}

/** Identifies a key: SHA-1 of its subjectPublicKey bits (RFC 5280 4.2.1.2, method 1). */
function keyIdentifier(key: KeyObject): Buffer {
  // An EC P-256 SubjectPublicKeyInfo ends with the 65-byte uncompressed point.
  const spki = key.export({ type: "spki", format: "der" });
  return createHash("sha1")
    .update(spki.subarray(spki.length - 65))
    .digest();
}

interface CertificateSpec {
  readonly subject: Buffer;
  readonly subjectKey: KeyObject;
  readonly issuer: { readonly name: Buffer; readonly key: KeyObject };
  /** notBefore and notAfter. */
  readonly validity: Buffer;
  readonly extensions: readonly Buffer[];
}

function certificate({ subject, subjectKey, issuer, validity, extensions }: CertificateSpec): string {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive, 16 bytes
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // [0] EXPLICIT version: v3
    tlv(0x02, serial),
    algorithm,
    issuer.name,
    validity,
    subject,
    subjectKey.export({ type: "spki", format: "der" }),
    tlv(0xa3, sequence(...extensions)), // [3] EXPLICIT extensions
  );
  // The signature is a DER ECDSA-Sig-Value, in a BIT STRING with no unused bits.
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.from([0]), sign("sha256", tbs, issuer.key)));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** How long generated certificates are valid: one year, from an hour ago (clock skew). */
const VALIDITY_MS = 365 * 24 * 60 * 60 * 1000;
const BACKDATE_MS = 60 * 60 * 1000;

/**
 * A new CA and a server certificate it signs, for `127.0.0.1`, `::1`, `localhost` and `hosts`
 * (IP addresses become IP names, anything else a DNS name). The CA's private key is not kept;
 * `caCert` is what a client trusts.
 */
export function issueEmulatorCertificates(
  hosts: readonly string[],
  now: Date = new Date(),
): PemKeyPair & { readonly caCert: string } {
  const validity = sequence(
    time(new Date(now.getTime() - BACKDATE_MS)),
    time(new Date(now.getTime() + VALIDITY_MS)),
  );
  const ca = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const server = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const caId = keyIdentifier(ca.publicKey);
  const issuer = {
    name: name(`CycleCloud emulator CA ${caId.subarray(0, 4).toString("hex")}`),
    key: ca.privateKey,
  };
  const caCert = certificate({
    subject: issuer.name,
    subjectKey: ca.publicKey,
    issuer,
    validity,
    extensions: [
      extension(OID.basicConstraints, true, sequence(TRUE, tlv(0x02, Buffer.from([0])))),
      extension(OID.keyUsage, true, keyUsage([5, 6])),
      extension(OID.subjectKeyIdentifier, false, octetString(caId)),
    ],
  });
  const names = [...new Set(["127.0.0.1", "::1", "localhost", ...hosts].map((host) => host.toLowerCase()))];
  const cert = certificate({
    subject: name(hosts[0] ?? "127.0.0.1"),
    subjectKey: server.publicKey,
    issuer,
    validity,
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, keyUsage([0])),
      extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
      extension(OID.subjectAltName, false, sequence(...names.map(generalName))),
      extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(server.publicKey))),
      extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, caId))),
    ],
  });
  return { caCert, cert, key: server.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

/** Throws a `TypeError` naming `where` unless `pair` is a PEM certificate (the first of a chain) and its private key. */
export function checkKeyPair(pair: PemKeyPair, where: { cert: string; key: string }): void {
  const read = <T>(what: string, make: () => T): T => {
    try {
      return make();
    } catch (error) {
      throw new TypeError(`${what} (${reasonOf(error)})`);
    }
  };
  const certificate = read(`${where.cert} is not a PEM certificate`, () => new X509Certificate(pair.cert));
  const key = read(`${where.key} is not a PEM private key`, () => createPrivateKey(pair.key));
  if (!certificate.checkPrivateKey(key)) {
    throw new TypeError(`${where.key} is not the private key of the certificate ${where.cert}`);
  }
}
