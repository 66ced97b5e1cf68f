import { createInterface } from "node:readline";
import { Readable, Transform, type TransformCallback } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { ProviderError } from "../provider-error.js";
import { asTransportError, fetchResponse, type ProviderRequest } from "./fetch-json.js";

export interface NdjsonLimits {
  /** A file larger than this is refused: no publisher's feed is, and reading it would cost without bound. */
  maxBytes: number;
  /** A line longer than this is refused before it is held whole: one resource is never this large. */
  maxLineBytes: number;
}

export const defaultNdjsonLimits: NdjsonLimits = { maxBytes: 512 * 1024 * 1024, maxLineBytes: 64 * 1024 };

/**
 * An NDJSON file from a provider, read as a stream of lines: each line goes
 * to `onLine` as it arrives and is then let go, so a file of tens of
 * megabytes never exists in memory as one text (fetchText would refuse it
 * past 5 MB). Node's readline splits the lines; a guard in front of it counts
 * bytes, so that neither the file nor one line can grow without bound.
 * Statuses and failures are as fetchText's; a 304 reads nothing.
 */
export async function fetchNdjson(
  providerInstanceId: string,
  url: string,
  init: ProviderRequest,
  onLine: (line: string, lineNumber: number) => void,
  fetchImpl: typeof fetch = fetch,
  limits: NdjsonLimits = defaultNdjsonLimits,
): Promise<{ status: number; headers: Headers }> {
  const { status, headers } = await fetchResponse(providerInstanceId, url, init, fetchImpl, async (response) => {
    if (response.status === 304 || !response.body) {
      await response.body?.cancel();
      return;
    }
    const declared = Number(response.headers.get("content-length") ?? 0);
    if (declared > limits.maxBytes) {
      await response.body.cancel();
      throw new ProviderError(providerInstanceId, "bad-response", `a file of ${declared} bytes exceeds ${limits.maxBytes}`);
    }
    const source = Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>);
    const guarded = source.pipe(byteGuard(providerInstanceId, limits));
    const lines = createInterface({ input: guarded, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNumber = 0;
    try {
      for await (const line of lines) {
        lineNumber++;
        if (line.trim()) onLine(line, lineNumber);
      }
    } catch (error) {
      // Stop reading the rest of the file too: its answer is decided.
      guarded.destroy();
      source.destroy();
      throw asTransportError(providerInstanceId, error, init.signal);
    }
  });
  return { status, headers };
}

/** Counts the bytes of the whole file and of the current line, and fails the stream past either limit. */
function byteGuard(providerInstanceId: string, limits: NdjsonLimits): Transform {
  let total = 0;
  let line = 0;
  const tooLong = () => new ProviderError(providerInstanceId, "bad-response", `a line exceeds ${limits.maxLineBytes} bytes`);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      total += chunk.byteLength;
      if (total > limits.maxBytes) {
        return done(new ProviderError(providerInstanceId, "bad-response", `a file exceeds ${limits.maxBytes} bytes`));
      }
      let from = 0;
      for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, from)) {
        if (line + (at - from) > limits.maxLineBytes) return done(tooLong());
        line = 0;
        from = at + 1;
      }
      line += chunk.byteLength - from;
      if (line > limits.maxLineBytes) return done(tooLong());
      done(null, chunk);
    },
  });
}
