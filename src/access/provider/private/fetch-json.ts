import { ProviderError } from "../provider-error.js";

export const maxResponseBytes = 5 * 1024 * 1024;

/**
 * One HTTP GET/POST to a provider, turned into parsed JSON or a ProviderError.
 * Reads the body as a stream and stops past `maxResponseBytes`, so a provider
 * sending something huge cannot exhaust our memory.
 */
export async function fetchJson(
  providerInstanceId: string,
  url: string,
  init: RequestInit & { signal: AbortSignal; /** 4xx statuses the caller handles itself instead of an error. */ accept?: number[] },
  fetchImpl: typeof fetch = fetch,
): Promise<{ status: number; body: unknown }> {
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
  if (init.accept?.includes(response.status)) return { status: response.status, body: parseOrText(text) };
  if (response.status === 404) throw new ProviderError(providerInstanceId, "not-found", `HTTP 404 for ${new URL(url).pathname}`);
  if (response.status >= 500 || response.status === 429) {
    throw new ProviderError(providerInstanceId, "unavailable", `HTTP ${response.status}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const type = response.headers.get("content-type") ?? "no content type";
    throw new ProviderError(providerInstanceId, "bad-response", `HTTP ${response.status} with a body that is not JSON (${type})`);
  }
  if (response.status >= 400) {
    throw new ProviderError(providerInstanceId, "rejected", `HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body };

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

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function asTransportError(providerInstanceId: string, error: unknown, signal: AbortSignal): ProviderError {
  if (signal.aborted) return new ProviderError(providerInstanceId, "timeout", "no answer before the deadline");
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
  return new ProviderError(providerInstanceId, "unavailable", `cannot reach it (${cause})`);
}
