import type http from "node:http";

/**
 * What a provider simulator can be told to do wrong, so the platform can be
 * tested against a provider having a bad day. Every simulator accepts these on
 * its handle and over HTTP (`POST /__admin/faults` with this JSON,
 * `DELETE /__admin/faults` to clear).
 */
export interface Faults {
  /** Delay every API answer by this long. */
  latencyMs?: number;
  /** Answer API calls with this HTTP status (e.g. 503). */
  failWithStatus?: number;
  /** Share of API calls (0..1) that fail with failWithStatus (default: all). */
  failRate?: number;
  /** Never answer API calls, and do nothing for them. */
  hang?: boolean;
  /**
   * Answer with garbage: an HTML error page, JSON cut off mid-way, a body far
   * too big, or (left to each simulator, since it is protocol specific) the
   * right shape with wrong types.
   */
  malformed?: "html" | "truncated" | "huge" | "wrong-types";
  /** Only API calls whose path starts with this suffer the faults (e.g. "/api/v2/bookings"). */
  pathPrefix?: string;
}

export class FaultInjector {
  faults: Faults = {};
  private readonly hanging = new Set<http.ServerResponse>();

  /** Answers the admin endpoint; false when the request is not for it. */
  handleAdmin(req: http.IncomingMessage, res: http.ServerResponse, url: URL, rawBody: string): boolean {
    if (url.pathname !== "/__admin/faults") return false;
    if (req.method === "DELETE") this.faults = {};
    else if (req.method === "POST") this.faults = JSON.parse(rawBody || "{}") as Faults;
    sendJson(res, 200, this.faults);
    return true;
  }

  /**
   * Applies the faults to one API call. True when the fault answered the call
   * (or will never answer it); false when the simulator should answer it,
   * possibly after a delay.
   */
  async apply(res: http.ServerResponse, url: URL): Promise<boolean> {
    const faults = this.faults;
    if (faults.pathPrefix && !url.pathname.startsWith(faults.pathPrefix)) return false;
    if (faults.hang) {
      this.hanging.add(res);
      res.once("close", () => this.hanging.delete(res));
      return true;
    }
    if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.failWithStatus && Math.random() < (faults.failRate ?? 1)) {
      sendJson(res, faults.failWithStatus, { error: "simulated failure" });
      return true;
    }
    switch (faults.malformed) {
      case "html":
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body><h1>502 Bad Gateway</h1></body></html>");
        return true;
      case "truncated":
        res.writeHead(200, { "content-type": "application/json" }).end('{"data": [{"id": "abc", "start": "2026-');
        return true;
      case "huge": {
        const body = `{"data":"${"x".repeat(6 * 1024 * 1024)}"}`;
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
        return true;
      }
      default:
        return false;
    }
  }

  /** Lets go of calls left hanging, so the server can close. */
  releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}
