import { type BookingClient, createBookingClient } from "@booking-platform/client";

/**
 * The console talks to the platform only through its public REST API, with the typed client
 * Vården uses (`@booking-platform/client`), under the operator's own admin key: whatever the
 * console can do, curl can do, and the API's own checks (scopes, validation, rate limits) hold.
 */

/** A problem to show a person: the API's RFC 9457 problem, or one made here when there is none. */
export interface ShownProblem {
  title: string;
  detail?: string;
  code?: string;
  status?: number;
  /** For validation problems: every field that is wrong. */
  errors?: Array<{ name: string; reason: string }>;
}

/** Thrown by `call` for every answer that is not a success, always carrying something to show. */
export class ApiProblem extends Error {
  constructor(readonly problem: ShownProblem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
  }
}

const keyStorage = "bp-console-api-key";

/** The key lives in this tab's session storage only: it goes when the tab closes. */
export const storedKey = (): string | undefined => sessionStorage.getItem(keyStorage) ?? undefined;
export const storeKey = (key: string | undefined) =>
  key === undefined ? sessionStorage.removeItem(keyStorage) : sessionStorage.setItem(keyStorage, key);

export function clientFor(key: string): BookingClient {
  return createBookingClient({ baseUrl: window.location.origin, headers: { authorization: `Bearer ${key}` } });
}

function isProblem(value: unknown): value is ShownProblem {
  return typeof value === "object" && value !== null && typeof (value as { title?: unknown }).title === "string";
}

/** What an answer that is not a success says, in words, whatever its body. */
export function problemOf(error: unknown, response?: Response): ShownProblem {
  if (isProblem(error)) {
    const { title, detail, code, status, errors } = error;
    return { title, detail, code, status: status ?? response?.status, errors };
  }
  if (!response) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      title: "The API did not answer",
      detail: `The request did not reach the platform or its answer was lost (${message}). Is it running, and is this page served by it?`,
    };
  }
  const text = typeof error === "string" && error.trim() !== "" ? error.trim().slice(0, 300) : undefined;
  return {
    title: `The API answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`,
    detail: text ?? "The answer carried no problem details.",
    status: response.status,
  };
}

/**
 * Awaits a typed-client call and returns its data, or throws an ApiProblem: the API's problem as
 * it answered it, or one saying that nothing answered.
 */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await request;
  } catch (error) {
    throw new ApiProblem(problemOf(error));
  }
  if (answer.response.ok && answer.error === undefined) return answer.data as T;
  throw new ApiProblem(problemOf(answer.error, answer.response));
}

export const problemFrom = (error: unknown): ShownProblem =>
  error instanceof ApiProblem
    ? error.problem
    : { title: "Something went wrong in this page", detail: error instanceof Error ? error.message : String(error) };
