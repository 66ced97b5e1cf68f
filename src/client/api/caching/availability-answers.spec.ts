import { describe, expect, it } from "vitest";
import { createAvailabilityAnswers } from "./availability-answers.js";

function harness(maxAgeMs = 5000) {
  let now = 1_000_000;
  const answers = createAvailabilityAnswers({ maxAgeMs, now: () => now });
  let made = 0;
  const make =
    (delayMs = 0) =>
    async () => {
      made++;
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { payload: `answer ${made}`, etag: `"${made}"` };
    };
  return {
    answers,
    make,
    made: () => made,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const dental = { treatmentId: "dental-checkup", rest: "[[],2027-01-04,2027-01-04,20,]" };
const flu = { treatmentId: "flu-vaccination", rest: "[[],2027-01-04,2027-01-04,20,]" };

describe("the search answers an API process keeps", () => {
  it("makes one answer for a hundred concurrent requests of one search", async () => {
    const { answers, make, made } = harness();
    const all = await Promise.all(Array.from({ length: 100 }, () => answers.answer(dental, make(10))));
    expect(made()).toBe(1);
    expect(new Set(all.map((a) => a.payload))).toEqual(new Set(["answer 1"]));
  });

  it("keeps an answer for its bound, not a moment longer", async () => {
    const { answers, make, made, advance } = harness(5000);
    await answers.answer(dental, make());
    advance(4999);
    expect((await answers.answer(dental, make())).payload).toBe("answer 1");
    advance(1);
    expect((await answers.answer(dental, make())).payload).toBe("answer 2");
    expect(made()).toBe(2);
  });

  it("drops a treatment's answers when a reservation changed it, and only that treatment's", async () => {
    const { answers, make } = harness();
    await answers.answer(dental, make());
    await answers.answer(flu, make());
    answers.forgetTreatment("dental-checkup");
    expect((await answers.answer(dental, make())).payload).toBe("answer 3");
    expect((await answers.answer(flu, make())).payload).toBe("answer 2");
  });

  it("drops every answer when an operator changed providers or the catalog", async () => {
    const { answers, make } = harness();
    await answers.answer(dental, make());
    await answers.answer(flu, make());
    answers.forgetAll();
    expect(answers.size).toBe(0);
    expect((await answers.answer(flu, make())).payload).toBe("answer 3");
  });

  it("does not keep an answer that was being made when its treatment changed", async () => {
    const { answers, make } = harness();
    const underway = answers.answer(dental, make(20));
    answers.forgetTreatment("dental-checkup");
    expect((await underway).payload).toBe("answer 1");
    expect((await answers.answer(dental, make())).payload).toBe("answer 2");
  });

  it("makes it anew when asked to (no-cache), and keeps no failure", async () => {
    const { answers, make } = harness();
    await answers.answer(dental, make());
    expect((await answers.answer(dental, make(), true)).payload).toBe("answer 2");
    await expect(answers.answer(flu, () => Promise.reject(new Error("no provider answered")))).rejects.toThrow();
    expect((await answers.answer(flu, make())).payload).toBe("answer 3");
  });

  it("keeps nothing with a bound of 0", async () => {
    const { answers, make, made } = harness(0);
    await answers.answer(dental, make());
    await answers.answer(dental, make());
    expect(made()).toBe(2);
    expect(answers.size).toBe(0);
  });
});
