/**
 * Who may use the admin surface (`/__emulator/`). It needs no CycleCloud credentials, so a web page
 * in a developer's browser must not reach it: the `Host` must be the address the emulator listens
 * on or a loopback name (no DNS rebinding), a browser's `Origin` must be the emulator's own (no
 * cross-site requests), a body must be `application/json` (no form or `text/plain` posts), and when
 * an admin token is set, the `X-Emulator-Admin-Token` header must carry it. With a token, any `Host`
 * is accepted (a DNS-rebinding page cannot know the token; containers name the emulator by service
 * name).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { hostname, networkInterfaces } from "node:os";
import { AdminError } from "./http-io";
import { isLoopbackHost } from "../../wire/util/loopback";

/** The header an admin request carries the token in. */
export const ADMIN_TOKEN_HEADER = "X-Emulator-Admin-Token";

/** Whether `host` listens on every interface. */
export function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** Host names a request may name: loopback ones, the listen address, and with a wildcard, this machine's. */
function allowedHosts(listenHost: string): ReadonlySet<string> {
  const names = new Set([listenHost.toLowerCase().replace(/^\[|\]$/g, "")]);
  if (isWildcardHost(listenHost)) {
    names.add(hostname().toLowerCase());
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) {
        names.add(address.address.toLowerCase());
      }
    }
  }
  return names;
}

/** The host name of a `Host` header (`[::1]:8080` -> `::1`), lower case; undefined when unreadable. */
function hostOf(value: string): string | undefined {
  try {
    return new URL(`http://${value}`).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  } catch {
    return undefined;
  }
}

/** SHA-256 of `text`: secrets are compared as digests, in constant time. */
export function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Checks admin requests for one emulator. */
export class AdminGuard {
  readonly #hosts: ReadonlySet<string>;
  readonly #token: Buffer | undefined;

  constructor(listenHost: string, adminToken: string | undefined) {
    this.#hosts = allowedHosts(listenHost);
    this.#token = adminToken === undefined ? undefined : digest(adminToken);
  }

  /** Throws an {@link AdminError} (403, 401 or 415) when `request` may not use the admin surface. */
  check(request: IncomingMessage): void {
    const host = request.headers.host ?? "";
    const name = hostOf(host);
    if (
      this.#token === undefined &&
      (name === undefined || !(isLoopbackHost(name) || this.#hosts.has(name)))
    ) {
      throw new AdminError(
        403,
        `Host ${JSON.stringify(host.slice(0, 100))} is not this emulator: the admin surface answers only ` +
          "requests to its listen address or a loopback name (or any, with an admin token)",
      );
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, host)) {
      throw new AdminError(403, "Cross-origin requests to the admin surface are refused");
    }
    if (request.headers["sec-fetch-site"] === "cross-site") {
      throw new AdminError(403, "Cross-site requests to the admin surface are refused");
    }
    const contentType = request.headers["content-type"];
    const hasBody =
      request.headers["transfer-encoding"] !== undefined ||
      Number(request.headers["content-length"] ?? 0) > 0;
    if (contentType === undefined ? hasBody : !/^application\/json\s*(;|$)/i.test(contentType)) {
      throw new AdminError(415, "Admin requests with a body must send it as Content-Type: application/json");
    }
    if (this.#token !== undefined) {
      const given = request.headers[ADMIN_TOKEN_HEADER.toLowerCase()];
      if (typeof given !== "string" || !timingSafeEqual(digest(given), this.#token)) {
        throw new AdminError(
          401,
          `The admin surface needs the admin token in the ${ADMIN_TOKEN_HEADER} header`,
        );
      }
    }
  }
}

/** Whether an `Origin` names the host and port of the `Host` header (`Origin: null` never does). */
function sameOrigin(origin: string, host: string): boolean {
  try {
    const from = new URL(origin);
    const to = new URL(`http://${host}`);
    const fromPort = from.port !== "" ? from.port : from.protocol === "https:" ? "443" : "80";
    const toPort = to.port !== "" ? to.port : fromPort;
    return from.hostname.toLowerCase() === to.hostname.toLowerCase() && fromPort === toPort;
  } catch {
    return false;
  }
}
