import { isIPv4 } from "node:net";

/**
 * Whether `hostname` names this machine: `localhost`, the IPv6 loopback (`::1`, or `[::1]` as
 * `URL.hostname` writes it), or an IPv4 address in 127.0.0.0/8 written as a dotted quad. Strict: a
 * name that merely starts with `127.` (`127.example.com`, `127.999.0.1`) is not loopback.
 */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname === "::1" ||
    hostname === "[::1]" ||
    (isIPv4(hostname) && hostname.startsWith("127."))
  );
}
