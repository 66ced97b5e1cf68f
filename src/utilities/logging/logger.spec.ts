import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe("logs", () => {
  it("never show a patient's personal data", () => {
    const { lines, destination } = capture();
    createLogger("test", { destination }).info(
      {
        reservation: {
          patient: { name: "Anna Andersson", personalIdentityNumber: "19900101-1234" },
          phone: "0701234567",
          email: "anna@example.se",
        },
      },
      "reserved",
    );
    const line = lines.join("");
    for (const secret of ["Anna", "19900101-1234", "0701234567", "anna@example.se"]) expect(line).not.toContain(secret);
    expect(line).toContain("reserved");
  });

  it("name the service on every line", () => {
    const { lines, destination } = capture();
    createLogger("booking-manager", { destination }).info("started");
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: "booking-manager", msg: "started" });
  });
});
