/**
 * Reading an answer's body with a size limit, enforced while reading: a body announced (by
 * `Content-Length`) or found to be larger than the limit is not read further, and the caller drops
 * the connection. A server or proxy that answers an endless body cannot run the process out of memory.
 */
import type { FetchResponse } from "./settings";

/** The body as text, or `undefined` when it is larger than `limitBytes` (reading stopped there). */
export async function readBodyText(response: FetchResponse, limitBytes: number): Promise<string | undefined> {
  const announced = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(announced) && announced > limitBytes) {
    return undefined;
  }
  const body = response.body;
  if (body === undefined || body === null) {
    // A `fetch` without a streaming body (a test double): the limit is checked after reading.
    const text = await response.text();
    return Buffer.byteLength(text, "utf8") > limitBytes ? undefined : text;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early (`return`) destroys the stream; the caller aborts the request.
  for await (const chunk of body) {
    const buffer =
      typeof chunk === "string"
        ? Buffer.from(chunk, "utf8")
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += buffer.length;
    if (size > limitBytes) {
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}
