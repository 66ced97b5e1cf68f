import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { type ProblemName, problemCatalog, problemTypeUri } from "../problems/problem-catalog.js";

/**
 * What one request may take, at the HTTP level. Every figure is far above what
 * an honest client needs (a reservation body is under 1 KiB) and far below
 * what would let one client tie up the API.
 */
export const httpLimits = {
  /** Bodies: a reservation is well under 1 KiB; admin requests are small too. */
  bodyLimitBytes: 32 * 1024,
  /** The whole request, headers and body, must arrive within this (a body sent a byte at a time is cut off: 408). */
  requestTimeoutMs: 10_000,
  /** Headers must arrive within this. */
  headersTimeoutMs: 5_000,
  /** An idle connection is closed after this. */
  connectionTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  /** A path parameter (an id) longer than this is refused (414). */
  maxParamLength: 200,
  /** Every request's deadline, through every service it reaches (src/utilities/rpc/deadline.ts). */
  requestDeadlineMs: Number(process.env.BP_REQUEST_DEADLINE_MS ?? 10_000),
};

/** A problem written straight to the socket: for errors Node's HTTP parser meets before Fastify sees a request. */
function rawProblem(socket: Socket, name: ProblemName, detail: string) {
  const { status, title } = problemCatalog[name];
  const body = JSON.stringify({ type: problemTypeUri(name), code: name, title, status, detail });
  socket.write(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Node's own answers (a header section too large, a request too slow, bytes
 * that are not HTTP) are problem+json too, rather than Node's or Fastify's
 * plain JSON. Passed to Fastify as its `clientErrorHandler`.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket) {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  if (socket.writable) {
    if (error.code === "HPE_HEADER_OVERFLOW") rawProblem(socket, "headers-too-large", "the request's header section is larger than 16 KiB");
    else if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      rawProblem(socket, "request-timeout", `the request did not arrive within ${httpLimits.requestTimeoutMs / 1000} s`);
    } else rawProblem(socket, "malformed-request", "the request is not readable HTTP");
  }
  socket.destroy(error);
}
