import { ProviderError } from "../provider-error.js";

export const maxResponseBytes = 5 * 1024 * 1024;

type ProviderRequest = RequestInit & {
  signal: AbortSignal /** 4xx statuses the caller handles itself instead of an error. */;
  accept?: number[];
};

/**
 * One HTTP request to a provider, its failures as ProviderErrors: 401/403
 * rejected, 404 not-found, 429/5xx unavailable, other 4xx rejected (unless the
 * caller accepts them), no answer in time timeout. Reads the body as a stream
 * and stops past `maxResponseBytes`, so a provider sending something huge
 * cannot exhaust our memory. 2xx and 3xx (e.g. 304 Not Modified) come back as text.
 */
export async function fetchText(
  providerInstanceId: string,
  url: string,
  init: ProviderRequest,
  fetchImpl: typeof fetch = fetch,
): Promise<{ status: number; headers: Headers; text: string }> {
  let response: Response;
  try {
    response = await fetchImpl(url, init);
  } catch (error) {
    throw asTransportError(providerInstanceId, error, init.signal);
  }
  let text: string;
  try {
    text = await readCapped(response, maxResponseBytes);
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw asTransportError(providerInstanceId, error, init.signal);
  }
  if (response.status === 401 || response.status === 403) {
    throw new ProviderError(providerInstanceId, "rejected", `HTTP ${response.status} (check the instance's credentials)`);
  }
  if (init.accept?.includes(response.status)) return { status: response.status, headers: response.headers, text };
  if (response.status === 404) throw new ProviderError(providerInstanceId, "not-found", `HTTP 404 for ${new URL(url).pathname}`);
  if (response.status >= 500 || response.status === 429) {
    throw new ProviderError(providerInstanceId, "unavailable", `HTTP ${response.status}`);
  }
  if (response.status >= 400) {
    throw new ProviderError(providerInstanceId, "rejected", `HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, text };

  async function readCapped(res: Response, limit: number): Promise<string> {
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
}

/** fetchText, then the body parsed as JSON; a body that is not JSON is a bad-response. Accepted 4xx bodies may be text. */
export async function fetchJson(
  providerInstanceId: string,
  url: string,
  init: ProviderRequest,
  fetchImpl: typeof fetch = fetch,
): Promise<{ status: number; body: unknown }> {
  const { status, headers, text } = await fetchText(providerInstanceId, url, init, fetchImpl);
  try {
    return { status, body: JSON.parse(text) };
  } catch {
    if (init.accept?.includes(status)) return { status, body: text };
    const type = headers.get("content-type") ?? "no content type";
    throw new ProviderError(providerInstanceId, "bad-response", `HTTP ${status} with a body that is not JSON (${type})`);
  }
}

function asTransportError(providerInstanceId: string, error: unknown, signal: AbortSignal): ProviderError {
  if (signal.aborted) return new ProviderError(providerInstanceId, "timeout", "no answer before the deadline");
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
  return new ProviderError(providerInstanceId, "unavailable", `cannot reach it (${cause})`);
}
