import type { Appointment, Bundle, CapabilityStatement, OperationOutcome, Slot } from "@medplum/fhirtypes";
import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FhirSimulator, startFhirSimulator } from "./fhir-simulator.js";

/** A Wednesday a few weeks ahead, at Södermalm (open every day) in its own zone. */
const day = DateTime.now().setZone("Europe/Stockholm").plus({ weeks: 5 }).startOf("week").plus({ days: 2 });
const schedule = "Schedule/sch-prac-eva-CHK";

describe("the FHIR simulator behaves like a generic FHIR R4 server", () => {
  let sim: FhirSimulator;
  const call = async <T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${sim.url}/${path}`, {
      method,
      headers: { authorization: "Bearer t", "content-type": "application/fhir+json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const freeSlots = async (from = day, hours = 24) =>
    (
      await call<Bundle>(
        "GET",
        `Slot?schedule=${schedule}&start=ge${from.toUTC().toISO()}&start=lt${from.plus({ hours }).toUTC().toISO()}&status=free&_count=100`,
      )
    ).body.entry!.map((e) => e.resource as Slot & { id: string; meta: { versionId: string } });
  const appointmentFor = (slot: Slot, value: string): Appointment => ({
    resourceType: "Appointment",
    status: "booked",
    slot: [{ reference: `Slot/${slot.id}` }],
    identifier: [{ system: "https://test.example/id", value }],
    participant: [{ actor: { display: "Someone" }, status: "accepted" }],
  });

  beforeAll(async () => {
    sim = await startFhirSimulator({ token: "t" });
  });
  afterAll(() => sim.close());

  it("answers /metadata without a token, and nothing else", async () => {
    const metadata = await fetch(`${sim.url}/metadata`);
    expect(metadata.status).toBe(200);
    const statement = (await metadata.json()) as CapabilityStatement;
    expect(statement.rest?.[0]?.interaction?.map((i) => i.code)).toContain("transaction");
    expect(statement.rest?.[0]?.resource?.find((r) => r.type === "Appointment")?.operation).toBeUndefined();
    const refused = await fetch(`${sim.url}/Slot/anything`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as OperationOutcome).resourceType).toBe("OperationOutcome");
  });

  it("books two Appointments for one Slot without complaint, and never marks the Slot busy itself", async () => {
    const [slot] = await freeSlots();
    expect((await call("POST", "Appointment", appointmentFor(slot!, "a"))).status).toBe(201);
    expect((await call("POST", "Appointment", appointmentFor(slot!, "b"))).status).toBe(201);
    const after = await call<Slot>("GET", `Slot/${slot!.id}`);
    expect(after.body).toMatchObject({ status: "free", meta: { versionId: slot!.meta.versionId } });
  });

  it("versions every write and refuses a stale If-Match with 412", async () => {
    const [slot] = await freeSlots();
    const read = await call<Slot>("GET", `Slot/${slot!.id}`);
    expect(read.headers.get("etag")).toBe(`W/"${read.body.meta!.versionId}"`);
    const first = await call<Slot>("PUT", `Slot/${slot!.id}`, { ...read.body, status: "busy" }, { "if-match": read.headers.get("etag")! });
    expect(first.status).toBe(200);
    expect(Number(first.body.meta!.versionId)).toBe(Number(read.body.meta!.versionId) + 1);
    const stale = await call<OperationOutcome>(
      "PUT",
      `Slot/${slot!.id}`,
      { ...read.body, status: "busy" },
      { "if-match": read.headers.get("etag")! },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe("OperationOutcome");
  });

  it("applies a transaction whole or not at all", async () => {
    const [slot] = await freeSlots();
    const entries = (version: string) => [
      { request: { method: "PUT", url: `Slot/${slot!.id}`, ifMatch: `W/"${version}"` }, resource: { ...slot, status: "busy" } },
      { fullUrl: "urn:uuid:1", request: { method: "POST", url: "Appointment" }, resource: appointmentFor(slot!, `tx-${version}`) },
    ];
    const stale = await call("POST", "", { resourceType: "Bundle", type: "transaction", entry: entries("999") });
    expect(stale.status).toBe(412);
    const created = await call<Bundle>("GET", `Appointment?identifier=https://test.example/id|tx-999`);
    expect(created.body.entry ?? []).toEqual([]);
    const done = await call<Bundle>("POST", "", { resourceType: "Bundle", type: "transaction", entry: entries(slot!.meta.versionId) });
    expect(done.status).toBe(200);
    expect(done.body.type).toBe("transaction-response");
    expect(done.body.entry?.map((e) => e.response?.status)).toEqual(["200 OK", "201 Created"]);
  });

  it("pages a search behind opaque next links and includes what it references", async () => {
    const first = await call<Bundle>(
      "GET",
      `Slot?schedule=${schedule}&start=ge${day.toUTC().toISO()}&start=lt${day.plus({ days: 7 }).toUTC().toISO()}&_count=10`,
    );
    expect(first.body.entry).toHaveLength(10);
    const next = first.body.link?.find((l) => l.relation === "next")?.url;
    expect(next).toMatch(/_getpages=/);
    expect(next).not.toContain("schedule=");
    const schedules = await call<Bundle>("GET", "Schedule?actor=Location/loc-sodermalm&_include=Schedule:actor");
    const included = schedules.body.entry!.filter((e) => e.search?.mode === "include").map((e) => e.resource?.resourceType);
    expect(new Set(included)).toEqual(new Set(["Location", "Practitioner"]));
  });

  it("ignores a search parameter it does not know, unless asked to be strict", async () => {
    const lenient = await call<Bundle>("GET", "Schedule?colour=blue");
    expect(lenient.status).toBe(200);
    expect(lenient.body.link?.find((l) => l.relation === "self")?.url).not.toContain("colour");
    expect((await call("GET", "Schedule?colour=blue", undefined, { prefer: "handling=strict" })).status).toBe(400);
  });
});

describe("the FHIR simulator with the IHE scheduling operations", () => {
  let sim: FhirSimulator;
  const post = async <T = unknown>(operation: string, parameter: unknown[]) => {
    const response = await fetch(`${sim.url}/Appointment/${operation}`, {
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Parameters", parameter }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const find = async () => {
    const query = new URLSearchParams({
      start: day.toUTC().toISO()!,
      end: day.plus({ days: 1 }).toUTC().toISO()!,
      "visit-type": "https://fhir.example.se/CodeSystem/service-type|CHK",
      "location-reference": "Location/loc-sodermalm",
    });
    const response = await fetch(`${sim.url}/Appointment/$find?${query}`, { headers: { authorization: "Bearer t" } });
    return ((await response.json()) as Bundle).entry!.map((e) => e.resource as Appointment);
  };
  const hold = (id: string) =>
    post<Bundle | OperationOutcome>("$hold", [{ name: "appointment-reference", valueReference: { reference: `Appointment/${id}` } }]);

  beforeAll(async () => {
    sim = await startFhirSimulator({ token: "t", operations: "ihe", holdSeconds: 1 });
  });
  afterAll(() => sim.close());

  it("declares them in its CapabilityStatement", async () => {
    const statement = (await (await fetch(`${sim.url}/metadata`)).json()) as CapabilityStatement;
    const operations = statement.rest?.[0]?.resource?.find((r) => r.type === "Appointment")?.operation?.map((o) => o.definition);
    expect(operations).toEqual([
      "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-find",
      "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-hold",
      "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition/appointment-book",
    ]);
  });

  it("holds a proposal once: a held slot is neither proposed nor held again, until the hold lapses", async () => {
    const [proposal] = await find();
    expect(proposal?.status).toBe("proposed");
    expect((await hold(proposal!.id!)).status).toBe(200);
    expect((await find()).map((a) => a.id)).not.toContain(proposal!.id);
    const again = await hold(proposal!.id!);
    expect(again.status).toBe(422);
    expect((again.body as OperationOutcome).issue?.[0]).toMatchObject({ severity: "fatal", code: "not-found" });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await find()).map((a) => a.id)).toContain(proposal!.id);
  });

  it("refuses to book a lapsed hold with a Bundle holding only an OperationOutcome", async () => {
    const [proposal] = await find();
    const held = (await hold(proposal!.id!)).body as Bundle;
    const pending = held.entry![0]!.resource as Appointment;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const booked = await post<Bundle>("$book", [
      { name: "appointment-reference", valueReference: { reference: `Appointment/${pending.id}` } },
    ]);
    expect(booked.status).toBe(200);
    expect(booked.body.entry?.map((e) => e.resource?.resourceType)).toEqual(["OperationOutcome"]);
  });
});
