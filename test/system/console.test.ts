import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BookingClient, createBookingClient } from "@booking-platform/client";
import axe from "axe-core";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureChromium } from "../../scripts/chromium.mjs";
import {
  type SmartSimulator,
  startSmartSimulator,
} from "../../src/access/provider/adapters/smart-scheduling-links/simulator/smart-simulator.js";
import { type RunningSystem, startSystem } from "../../src/host/system-runner.js";
import { createKeyFor, weekday } from "./support/onboarding.js";
import { systemTestPortOffset } from "./support/port-offset.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Where the screenshots go: docs/screenshots (linked from the README) when BP_CONSOLE_SCREENSHOTS
 * is set (`npm run screenshots`), a temporary folder otherwise, so that `npm test` takes them all
 * the same without changing tracked files on every run.
 */
const screenshots = process.env.BP_CONSOLE_SCREENSHOTS
  ? path.join(root, "docs", "screenshots")
  : mkdtempSync(path.join(tmpdir(), "bp-console-screenshots-"));
const laptop = { width: 1366, height: 900 };
const tablet = { width: 820, height: 1180 };

// Debian's Chromium, installed here by apt-get when missing and root (CI is); playwright-core never downloads a browser.
const chromiumFound = ensureChromium({ log: (line) => console.log(line) });
if (chromiumFound.missing) {
  if (process.env.CI) throw new Error(`the console's browser tests must run in CI: ${chromiumFound.missing}`);
  console.warn(`Skipping the operator console's browser tests: ${chromiumFound.missing}`);
}

/**
 * The operator console in a real browser (Debian's Chromium, driven by playwright-core) against
 * the system as `npm start` runs it: every service its own process, the console built by the same
 * build and served by the API. An operator signs in, onboards a SMART Scheduling Links publisher
 * started on a new port, dry run first, syncs it, maps it (after a refused mapping, shown in
 * words), sees its slots in a search, and pauses it; keyboard and screen-reader semantics are
 * checked on the way (axe-core on every view), and no page breaks its Content-Security-Policy.
 * Its own system (port offset 18 000): the screenshots must show this system's providers only.
 */
describe.skipIf(chromiumFound.missing !== undefined)("the operator console, in Chromium", { timeout: 60_000 }, () => {
  const databasePath = mkdtempSync(path.join(tmpdir(), "bp-console-db-"));
  let system: RunningSystem;
  let smart: SmartSimulator;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let operatorKey = "";
  let vaarden: BookingClient;
  /** Whatever the page logged as an error or warning, CSP violations included: none expected. */
  const pageErrors: string[] = [];
  const instanceId = "smart-skane";

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    [system, smart] = await Promise.all([
      startSystem({
        root,
        portOffset: systemTestPortOffset(18_000),
        databasePath,
        output: () => {},
        env: {
          LOG_LEVEL: "warn",
          BP_PATIENT_DATA_KEY_FILE: path.join(mkdtempSync(path.join(tmpdir(), "bp-console-key-")), "patient-data.key"),
          // The hourly sync stays out of the way: the test starts the syncs it shows.
          BP_SYNC_INTERVAL_MS: "86400000",
        },
      }),
      startSmartSimulator({ maxAgeSeconds: 60, seed: "console" }),
    ]);
    operatorKey = await createKeyFor(system.dynamodbEndpoint, "ops", ["admin", "availability:read"]);
    vaarden = createBookingClient({ baseUrl: system.apiUrl, headers: { authorization: `Bearer ${system.developmentApiKey}` } });
    browser = await chromium.launch({
      executablePath: chromiumFound.path,
      // Root (CI, this machine) cannot use Chromium's sandbox; /dev/shm may be small in containers.
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    context = await browser.newContext({ viewport: laptop, locale: "en-GB", timezoneId: "Europe/Stockholm", reducedMotion: "reduce" });
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") pageErrors.push(message.text());
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([system?.stop(), smart?.close()]);
    rmSync(databasePath, { recursive: true, force: true });
    console.log(`console screenshots: ${screenshots}`);
  });

  /** axe-core's WCAG 2.1 A/AA rules on the page as it stands: run by evaluation, which the page's CSP does not restrict. */
  async function accessibilityViolations(): Promise<string[]> {
    const script = `${axe.source};
      axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
        .then((r) => ({
          passes: r.passes.length,
          violations: r.violations.map((v) => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")),
        }))`;
    const { passes, violations } = (await page.evaluate(script)) as { passes: number; violations: string[] };
    // Rules that passed (labels, contrast, names, landmarks …): proof that axe ran, not merely found nothing.
    expect(passes).toBeGreaterThan(10);
    return violations;
  }

  const shoot = (name: string, fullPage = true) => page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage });

  it("signs in with an admin key, after showing why a wrong one is refused, by keyboard alone", async () => {
    const response = await page.goto(`${system.apiUrl}/console`);
    expect(page.url()).toBe(`${system.apiUrl}/console/`);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    // The view's heading has focus; the key field is the next stop.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("api-key");
    await page.keyboard.type("bp_live_nope_NotAKeyAtAllNotAKeyAtAllNotAKeyAtAll00");
    await page.keyboard.press("Enter");
    const refused = page.getByRole("alert");
    await expect.poll(() => refused.textContent()).toContain("Not authenticated");
    expect(await refused.textContent()).toContain("the credential is unknown, revoked or expired");
    expect(await page.getByLabel("Admin API key").getAttribute("aria-invalid")).toBe("true");
    expect(await accessibilityViolations()).toEqual([]);
    await shoot("console-sign-in-refused", false);

    await page.getByLabel("Admin API key").fill(operatorKey);
    await page.getByLabel("Admin API key").press("Enter");
    await page.getByRole("heading", { level: 1, name: "Providers" }).waitFor();
  });

  it("shows every provider at a glance, the failing one first, refreshed live", async () => {
    // Traffic for the figures and the chart; then the Klinikbokning demo fails every call for a while.
    // Searches of a window are kept (provider access and the API cache them), so each faulted search asks a day not asked before.
    const search = (day: string) =>
      vaarden.GET("/v1/availability", { params: { query: { treatment: "dental-checkup", from: day, to: day, pageSize: 5 } } });
    const days = [...new Set(Array.from({ length: 20 }, (_, i) => weekday(7 + i)))];
    for (let i = 0; i < 6; i++) await search(days[0]!);
    const klinikbokning = system.urls["klinikbokning-simulator"]!;
    await fetch(`${klinikbokning}/__admin/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ failWithStatus: 503 }),
    });
    try {
      for (const day of days.slice(1, 5)) await search(day);
    } finally {
      await fetch(`${klinikbokning}/__admin/faults`, { method: "DELETE" });
    }

    const cards = page.getByRole("list", { name: /Provider instances/ }).getByRole("listitem");
    // The next refresh (every 5 s) brings the failures: the failing instance moves first and says why.
    await expect.poll(() => cards.first().textContent(), { timeout: 12_000 }).toContain("klinikbokning-demo");
    const first = await cards.first().textContent();
    expect(first).toMatch(/Failing: .*of calls fail/);
    expect(first).toContain("unavailable");
    expect(await cards.count()).toBe(3);
    expect(await page.getByRole("status").first().textContent()).toMatch(/3 instances in service.*1 needs attention/);
    // Each chart says what it shows in words.
    expect(await cards.first().getByRole("img").getAttribute("aria-label")).toMatch(/^Last hour: \d+ calls; p95 latency at most/);
    expect(await accessibilityViolations()).toEqual([]);
    await shoot("console-overview");
    await page.setViewportSize(tablet);
    await shoot("console-overview-tablet");
    await page.setViewportSize(laptop);
  });

  it("onboards a SMART publisher on a new port: dry run, register, sync with progress", async () => {
    // By keyboard: the navigation link, then Enter.
    await page.getByRole("link", { name: "Onboard a provider" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Onboard a provider" }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Onboard a provider");

    await page.getByLabel("Instance id").fill(instanceId);
    await page.getByLabel("Display name").fill("Vaccination Skåne");
    await page.getByLabel("Adapter (protocol)").selectOption("smart-scheduling-links");
    // An address that is not a URL: the API's validation problem, field by field, shown beside the field.
    await page.getByLabel("Base URL").fill("ftp://nowhere");
    await page.getByRole("button", { name: "Dry run" }).click();
    const problem = page.getByRole("alert");
    await expect.poll(() => problem.textContent()).toContain("body.baseUrl");
    expect(await page.getByLabel("Base URL").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByRole("button", { name: "Register" }).isDisabled()).toBe(true);

    await page.getByLabel("Base URL").fill(smart.url);
    await page.getByRole("button", { name: "Dry run" }).click();
    const report = page.getByRole("region", { name: "What the dry run found" });
    await report.waitFor();
    expect(await report.textContent()).toContain("deep link to the provider's site");
    expect(await report.getByRole("table", { name: /Clinics/ }).textContent()).toContain("smart-uppsala");
    expect(
      await report
        .getByRole("table", { name: /Sample search/ })
        .getByRole("row")
        .count(),
    ).toBeGreaterThan(1);
    // Nothing is stored by a dry run.
    const { response: before } = await vaarden.GET("/v1/admin/instances/{instanceId}", { params: { path: { instanceId } } });
    expect(before.status).toBe(404);
    expect(await accessibilityViolations()).toEqual([]);
    await shoot("console-onboard-dry-run");

    await page.getByRole("button", { name: "Register" }).click();
    await page.getByRole("status").filter({ hasText: "is registered and active" }).waitFor();
    await page.getByRole("button", { name: "Start sync" }).click();
    const progress = page.getByRole("region", { name: "Sync the catalog" });
    await expect.poll(() => progress.textContent(), { timeout: 20_000 }).toMatch(/Sync succeeded: (\d+) of \1 items recorded/);
    const bar = progress.getByRole("progressbar", { name: "Sync progress" });
    expect(await bar.getAttribute("value")).toBe(await bar.getAttribute("max"));
    expect(await progress.getByRole("row", { name: /Clinics/ }).textContent()).toMatch(/^Clinics2/);
  });

  it("maps its codes: a mapping to an unknown Vården id is refused in words, then one that holds", async () => {
    const mapping = page.getByRole("region", { name: "Map clinics and treatments to Vården's" });
    await mapping.waitFor();
    expect(await mapping.getByRole("status").first().textContent()).toMatch(/Unmapped: 2 clinic codes \(smart-sodermalm, smart-uppsala\)/);
    await mapping.getByLabel("How to map clinic smart-uppsala").selectOption("existing");
    await mapping.getByLabel("Vården clinic id for smart-uppsala").fill("no-such-clinic");
    await mapping.getByLabel("Vården treatment for 57").selectOption("covid-vaccination");
    await mapping.getByRole("button", { name: "Save mappings" }).click();
    const refused = mapping.getByRole("alert");
    await expect.poll(() => refused.textContent()).toContain("Unknown Vården id");
    expect(await refused.textContent()).toContain("no-such-clinic");
    expect(await refused.textContent()).toContain("mapping-target-unknown");
    // The problem took focus, so a screen reader reads it and a keyboard user is next to it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("alert");
    await shoot("console-mapping-refused");

    await mapping.getByLabel("How to map clinic smart-uppsala").selectOption("create");
    // A new choice starts from an empty id: created from the provider's data, the clinic gets <instance>-<code>.
    expect(await mapping.getByLabel("Vården clinic id for smart-uppsala").inputValue()).toBe("");
    await mapping.getByRole("button", { name: "Save mappings" }).click();
    await expect.poll(() => mapping.textContent()).toContain("Searches find 1 offering of this instance now");
    expect(await mapping.getByRole("status").first().textContent()).toMatch(
      /Unmapped: 1 clinic code \(smart-sodermalm\) and 0 treatment codes/,
    );
  });

  it("shows the new clinic's slots as Vården's search finds them", async () => {
    const slots = page.getByRole("region", { name: "Slots as Vården sees them" });
    await slots.getByLabel("Day").fill(weekday(3));
    await slots.getByRole("button", { name: "Search slots" }).click();
    await expect.poll(() => slots.getByRole("status").textContent()).toMatch(/\d+ free slots? at smart-skane-smart-uppsala/);
    expect(await slots.getByRole("status").textContent()).toContain(`${instanceId}: ok`);
    expect(await slots.getByRole("link", { name: "at the provider" }).count()).toBeGreaterThan(0);
    expect(await accessibilityViolations()).toEqual([]);
    await shoot("console-onboard-slots");
  });

  it("pauses it after asking, and then Vården's search leaves it out", async () => {
    await page.getByRole("link", { name: "Its page" }).click();
    await page.getByRole("heading", { level: 1, name: /Vaccination Skåne/ }).waitFor();
    const history = page.getByRole("region", { name: "Sync history" });
    await expect.poll(() => history.getByRole("row").count()).toBe(2);
    expect(await history.textContent()).toContain("succeeded");

    const pause = page.getByRole("button", { name: "Pause…" });
    await pause.click();
    const dialog = page.getByRole("dialog", { name: "Pause this instance?" });
    await dialog.waitFor();
    // The dialog holds focus; Escape cancels and gives focus back to the button.
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(() => pause.evaluate((b) => b === document.activeElement)).toBe(true);
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    await dialog.getByLabel(/Reason/).fill("clinic moving to a new booking system");
    await dialog.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("status").filter({ hasText: "is paused now" }).waitFor();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("paused");

    const day = weekday(3);
    const { data } = await vaarden.GET("/v1/availability", {
      params: { query: { treatment: "covid-vaccination", clinic: ["smart-skane-smart-uppsala"], from: day, to: day } },
    });
    expect(data?.items ?? []).toEqual([]);
    const { data: instance } = await vaarden.GET("/v1/admin/instances/{instanceId}", { params: { path: { instanceId } } });
    expect(instance).toMatchObject({ state: "paused", stateReason: "clinic moving to a new booking system" });
    expect(await accessibilityViolations()).toEqual([]);
    await shoot("console-instance");
    await page.setViewportSize(tablet);
    await shoot("console-instance-tablet");
    await page.setViewportSize(laptop);
  });

  it("broke no Content-Security-Policy rule and logged no error on the way", () => {
    // The browser logs every 4xx answer as a failed load: the wrong key (401), the bad URL (400) and the refused mapping (422), on purpose.
    const expected = /^Failed to load resource: the server responded with a status of (401|400|422) /;
    expect(pageErrors.filter((line) => !expected.test(line))).toEqual([]);
    expect(pageErrors.filter((line) => expected.test(line))).toHaveLength(3);
  });
});
