import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Rewrites a JSON answer of the upstream: gets the method, the path with its query and the parsed
 * body; returns the body to send instead (or `undefined` to pass it on unchanged).
 */
export type Rewrite = (method: string, path: string, body: unknown) => unknown;

export interface RewritingProxy {
  url: string;
  /** The rewrite in force (replace it per test). */
  rewrite: Rewrite;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the emulator that rewrites its JSON answers, for wire shapes a real
 * CycleCloud server sends but the emulator does not (yet): a head node with fields missing, a
 * status without `state`, a terminate answer without per-node `status`, quota fields.
 */
export async function startRewritingProxy(upstream: string): Promise<RewritingProxy> {
  const proxy: RewritingProxy = {
    url: "",
    rewrite: () => undefined,
    close: () => Promise.resolve(),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const method = req.method ?? "GET";
      const path = req.url ?? "/";
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (typeof value === "string" && key !== "host" && key !== "content-length") headers[key] = value;
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(`${upstream}${path}`, { method, headers, ...(body ? { body } : {}) })
        .then(async (answer) => {
          let text = await answer.text();
          if (answer.ok) {
            try {
              const rewritten = proxy.rewrite(method, path, JSON.parse(text) as unknown);
              if (rewritten !== undefined) text = JSON.stringify(rewritten);
            } catch {
              // not JSON: passed on as is
            }
          }
          res.writeHead(answer.status, {
            "content-type": answer.headers.get("content-type") ?? "application/json",
          });
          res.end(text);
        })
        .catch((error: unknown) => {
          res.writeHead(502);
          res.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return proxy;
}
