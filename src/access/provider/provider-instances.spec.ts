import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadProviderInstances } from "./provider-instances.js";

function file(providers: unknown[]): string {
  const f = path.join(mkdtempSync(path.join(tmpdir(), "providers-")), "providers.json");
  writeFileSync(f, JSON.stringify({ providers }));
  return f;
}

const entry = {
  id: "kb-demo",
  adapter: "klinikbokning",
  baseUrl: "http://127.0.0.1:7401",
  apiKeyEnv: "KB_KEY",
  timeZone: "Europe/Stockholm",
};

describe("provider instances from configuration", () => {
  it("take their API key from the environment variable they name", () => {
    const [instance] = loadProviderInstances(file([entry]), ["klinikbokning"], { KB_KEY: "secret" });
    expect(instance).toEqual({
      id: "kb-demo",
      adapter: "klinikbokning",
      baseUrl: "http://127.0.0.1:7401",
      apiKey: "secret",
      timeZone: "Europe/Stockholm",
    });
  });

  it("can be pointed elsewhere by BP_PROVIDER_URL_<ID>", () => {
    const [instance] = loadProviderInstances(file([entry]), ["klinikbokning"], {
      KB_KEY: "k",
      BP_PROVIDER_URL_KB_DEMO: "http://127.0.0.1:9999",
    });
    expect(instance?.baseUrl).toBe("http://127.0.0.1:9999");
  });

  it.each([
    [{ ...entry, adapter: "fax" }, /adapter.*klinikbokning/],
    [{ ...entry, baseUrl: "not a url" }, /baseUrl/],
    [{ ...entry, timeZone: "Stockholm" }, /timeZone/],
    [{ ...entry, id: "Bad Id" }, /id/],
  ])("refuse a mistake with the instance named: %o", (bad, message) => {
    expect(() => loadProviderInstances(file([bad]), ["klinikbokning"], { KB_KEY: "k" })).toThrow(message);
  });

  it("refuse to start without the API key the instance needs", () => {
    expect(() => loadProviderInstances(file([entry]), ["klinikbokning"], {})).toThrow(/KB_KEY.*not set/);
  });
});
