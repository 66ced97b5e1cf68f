import { describe, expect, it } from "vitest";
import { ApiProblem, call, problemOf } from "./api.js";
import { ago, ms, percent, weekdayAhead } from "./format.js";

const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

describe("the console's problems in words", () => {
  it("shows the API's problem as it answered it, fields included", () => {
    const problem = {
      type: "/problems/validation",
      code: "validation",
      title: "Invalid request",
      status: 400,
      detail: "body.baseUrl: must match pattern",
      errors: [{ name: "body.baseUrl", reason: 'must match pattern "^https?://"' }],
    };
    expect(problemOf(problem, answer(400, problem))).toEqual({
      title: "Invalid request",
      detail: "body.baseUrl: must match pattern",
      code: "validation",
      status: 400,
      errors: problem.errors,
    });
  });

  it("says what happened when the answer carries no problem, or nothing answered", () => {
    expect(problemOf("Bad Gateway", new Response("Bad Gateway", { status: 502, statusText: "Bad Gateway" }))).toEqual({
      title: "The API answered 502 Bad Gateway",
      detail: "Bad Gateway",
      status: 502,
    });
    expect(problemOf(undefined, new Response(null, { status: 500 })).detail).toBe("The answer carried no problem details.");
    expect(problemOf(new TypeError("Failed to fetch")).title).toBe("The API did not answer");
  });

  it("returns the data of a success and throws the problem of anything else", async () => {
    expect(await call(Promise.resolve({ data: { items: [] }, response: answer(200, {}) }))).toEqual({ items: [] });
    const refused = call(
      Promise.resolve({ error: { title: "Unknown Vården id", code: "mapping-target-unknown" }, response: answer(422, {}) }),
    );
    await expect(refused).rejects.toBeInstanceOf(ApiProblem);
    await expect(refused).rejects.toMatchObject({ problem: { title: "Unknown Vården id", status: 422 } });
    await expect(call(Promise.reject(new TypeError("Failed to fetch")))).rejects.toMatchObject({
      problem: { title: "The API did not answer" },
    });
  });
});

describe("the console's figures", () => {
  it("reads milliseconds, rates and ages as a person would", () => {
    expect([ms(0.4), ms(13.72), ms(263), ms(1530), ms(12_000)]).toEqual(["0.4 ms", "13.7 ms", "263 ms", "1.5 s", "12 s"]);
    expect([percent(0), percent(0.0004), percent(0.05), percent(0.4)]).toEqual(["0 %", "< 0.1 %", "5.0 %", "40 %"]);
    const now = Date.parse("2026-11-25T10:00:00Z");
    expect([ago("2026-11-25T09:59:30Z", now), ago("2026-11-25T09:40:00Z", now), ago("2026-11-22T10:00:00Z", now)]).toEqual([
      "30 s ago",
      "20 min ago",
      "3 days ago",
    ]);
  });

  it("picks a weekday for a search", () => {
    // Friday 27 November 2026 + 1 day is a Saturday: Monday instead.
    expect(weekdayAhead(1, new Date(2026, 10, 27, 12))).toBe("2026-11-30");
  });
});
