/**
 * Whether `hostname` names this machine: `localhost`, the IPv6 loopback (`::1`, or `[::1]` as
 * `URL.hostname` writes it), or an IPv4 address in 127.0.0.0/8 written as a dotted quad. Strict: a
 * name that merely starts with `127.` (`127.example.com`) is not loopback.
 */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname === "::1" ||
    hostname === "[::1]" ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname)
  );
}
