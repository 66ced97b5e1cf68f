import { ProviderError } from "../provider-error.js";
import { observeProviderRequest } from "./provider-request-span.js";

export const maxResponseBytes = 5 * 1024 * 1024;

export type ProviderRequest = RequestInit & {
  signal: AbortSignal;
  /** The path as a template without ids (`/Slot/{id}`): what the request's span and log line show instead of its URL. */
  template: string;
  /** 4xx statuses the caller handles itself instead of an error. */
  accept?: number[];
};

/**
 * One HTTP request to a provider, its failures as ProviderErrors: 401/403
 * rejected, 404 not-found, 429/5xx unavailable, other 4xx rejected (unless the
 * caller accepts them), no answer in time timeout. Reads the body as a stream
 * and stops past `maxResponseBytes`, so a provider sending something huge
 * cannot exhaust our memory. 2xx and 3xx (e.g. 304 Not Modified) come back as text.
 * Each request is a span and a log line (provider-request-span.ts).
 */
export async function fetchText(
  providerInstanceId: string,
  url: string,
  init: ProviderRequest,
  fetchImpl: typeof fetch = fetch,
): Promise<{ status: number; headers: Headers; text: string }> {
  const { status, headers, body } = await fetchResponse(providerInstanceId, url, init, fetchImpl, async (response) => {
    try {
      return await readCapped(providerInstanceId, response, maxResponseBytes);
    } catch (error) {
      throw asTransportError(providerInstanceId, error, init.signal);
    }
  });
  return { status, headers, text: body };
}

/**
 * The shared part of every provider request: the span, the transport errors,
 * and the status mapping. `read` consumes the body (as text, or as a stream of
 * lines for feeds too large to hold); a refused request's body is read as
 * capped text for its error message.
 */
export async function fetchResponse<T>(
  providerInstanceId: string,
  url: string,
  init: ProviderRequest,
  fetchImpl: typeof fetch,
  read: (response: Response) => Promise<T>,
): Promise<{ status: number; headers: Headers; body: T }> {
  const { template, accept, ...requestInit } = init;
  const method = (requestInit.method ?? "GET").toUpperCase();
  return observeProviderRequest({ providerInstanceId, method, url, template }, async ({ traceHeaders, answered }) => {
    let response: Response;
    try {
      response = await fetchImpl(url, { ...requestInit, headers: { ...(requestInit.headers as Record<string, string>), ...traceHeaders } });
    } catch (error) {
      throw asTransportError(providerInstanceId, error, init.signal);
    }
    answered(response.status);
    const status = response.status;
    if (status === 401 || status === 403 || (status >= 400 && !accept?.includes(status))) {
      // The status says what went wrong; the body only adds detail, so a body we cannot read is no second failure.
      const text = await readCapped(providerInstanceId, response, maxResponseBytes).catch(() => "");
      if (status === 401 || status === 403) {
        throw new ProviderError(providerInstanceId, "rejected", `HTTP ${status} (check the instance's credentials)`, status);
      }
      if (status === 404) throw new ProviderError(providerInstanceId, "not-found", `HTTP 404 for ${template}`, status);
      if (status >= 500 || status === 429) throw new ProviderError(providerInstanceId, "unavailable", `HTTP ${status}`, status);
      throw new ProviderError(providerInstanceId, "rejected", `HTTP ${status}: ${text.slice(0, 200)}`, status);
    }
    return { status, headers: response.headers, body: await read(response) };
  });
}

/** fetchText, then the body parsed as JSON; a body that is not JSON is a bad-response. Accepted 4xx bodies may be text. */
export async function fetchJson(
  providerInstanceId: string,
  url: string,
  init: ProviderRequest,
  fetchImpl: typeof fetch = fetch,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const { status, headers, text } = await fetchText(providerInstanceId, url, init, fetchImpl);
  try {
    return { status, headers, body: JSON.parse(text) };
  } catch {
    if (init.accept?.includes(status)) return { status, headers, body: text };
    const type = headers.get("content-type") ?? "no content type";
    throw new ProviderError(providerInstanceId, "bad-response", `HTTP ${status} with a body that is not JSON (${type})`);
  }
}

async function readCapped(providerInstanceId: string, res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? 0);
  if (declared > limit) {
    await res.body?.cancel();
    throw new ProviderError(providerInstanceId, "bad-response", `response of ${declared} bytes exceeds ${limit}`);
  }
  if (!res.body) return "";
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw new ProviderError(providerInstanceId, "bad-response", `response exceeds ${limit} bytes`);
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

export function asTransportError(providerInstanceId: string, error: unknown, signal: AbortSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal.aborted) return new ProviderError(providerInstanceId, "timeout", "no answer before the deadline");
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
  return new ProviderError(providerInstanceId, "unavailable", `cannot reach it (${cause})`);
}
