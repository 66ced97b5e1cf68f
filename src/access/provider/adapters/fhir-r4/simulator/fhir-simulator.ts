import type http from "node:http";
import type { Appointment, Bundle, Parameters, Resource, Schedule, Slot } from "@medplum/fhirtypes";
import { FaultInjector, readBody, sendJson } from "../../../simulator-kit/fault-injector.js";
import { type SimulatorServer, serveSimulator } from "../../../simulator-kit/serve-simulator.js";
import { capabilityStatement } from "./capability-statement.js";
import { IheScheduling, inputFromParameters, inputFromQuery } from "./ihe-scheduling.js";
import { FhirFailure, ResourceStore, type Stored, versionFromETag } from "./resource-store.js";
import { SearchEngine } from "./search.js";
import { locationResources, practitionerResources, scheduleResources } from "./seed-data.js";
import { SlotCalendar } from "./slot-calendar.js";
import { processTransaction } from "./transaction.js";

export interface FhirSimulatorOptions {
  port?: number;
  host?: string;
  token?: string;
  seed?: string;
  /** "ihe": also offer the IHE ITI Scheduling operations $find, $hold and $book (FHIR_SIMULATOR_OPERATIONS=ihe under npm start). */
  operations?: "none" | "ihe";
  /** How long an IHE $hold lasts, in seconds (the server decides, whatever the client wants); default 600. */
  holdSeconds?: number;
  /** false: a server that takes no transaction Bundles (many EHRs' FHIR APIs do not), and says so in its CapabilityStatement. */
  transactions?: boolean;
}

export interface FhirSimulator extends SimulatorServer {
  /** Whether the IHE scheduling operations are offered. */
  operations: "none" | "ihe";
  /** Every stored resource of a type, as the server holds it: for tests to look behind the API. */
  stored<T extends Resource>(type: T["resourceType"]): Array<Stored<T>>;
}

const types = new Set(["Location", "Practitioner", "Schedule", "Slot", "Appointment"]);

/**
 * A generic FHIR R4 server holding a clinic network's scheduling data, as
 * strict and as unhelpful as real ones (HAPI, an EHR's FHIR API):
 *
 * - resources are stored with `meta.versionId`/`meta.lastUpdated`: read
 *   (`GET /Slot/{id}`), search with `_count` paging behind opaque `next`
 *   links and `_include` (`Schedule?actor=…&_include=Schedule:actor`), create
 *   (`POST`), update (`PUT`, with `If-Match: W/"<versionId>"` answered 412
 *   when stale), and `transaction` Bundles (`POST /`, all or nothing);
 * - `GET /metadata` is the CapabilityStatement (the only call without a
 *   bearer token); failures are OperationOutcomes;
 * - it has **no scheduling rules of its own**: creating an Appointment for a
 *   Slot does not touch the Slot, and two Appointments for one Slot are both
 *   stored. Whoever books must claim the Slot (a versioned update to busy);
 * - with `operations: "ihe"` it also offers the IHE ITI Scheduling operations
 *   (ihe-scheduling.ts), declared in the CapabilityStatement, which do enforce
 *   slot rules.
 *
 * Slots are stored resources, created for a location's day the first time
 * that day is searched or read (slot-calendar.ts). Faults can be injected as
 * for every simulator (simulator-kit/).
 */
export async function startFhirSimulator(options: FhirSimulatorOptions = {}): Promise<FhirSimulator> {
  const token = options.token ?? "demo-token";
  const operations = options.operations ?? "none";
  const transactions = options.transactions ?? true;
  const injector = new FaultInjector();
  const store = new ResourceStore();
  for (const resource of [...locationResources(), ...practitionerResources(), ...scheduleResources()]) store.seed(resource);
  const calendar = new SlotCalendar(store, options.seed ?? "fhir");
  let baseUrl = "";
  const search = new SearchEngine(store, calendar, () => baseUrl);
  const ihe = operations === "ihe" ? new IheScheduling(store, calendar, options.holdSeconds ?? 600) : undefined;

  const prepareRead = (type: string, id: string) => {
    if (type === "Slot") calendar.ensureSlot(id);
  };

  /** What any FHIR server checks before it stores a resource: required elements, and that references resolve. */
  function validate(resource: Resource): void {
    if (!types.has(resource.resourceType)) throw new FhirFailure(404, "not-supported", `${resource.resourceType} is not supported`);
    if (resource.resourceType === "Appointment") {
      const appointment = resource as Appointment;
      if (!appointment.status) throw new FhirFailure(400, "required", "Appointment.status is required");
      if (!appointment.participant?.length || appointment.participant.some((p) => !p.status)) {
        throw new FhirFailure(400, "required", "Appointment.participant (each with a status) is required");
      }
      for (const ref of appointment.slot ?? []) {
        const id = ref.reference?.startsWith("Slot/") ? ref.reference.slice(5) : "";
        prepareRead("Slot", id);
        if (!store.read("Slot", id)) throw new FhirFailure(422, "processing", `${ref.reference} does not resolve to a Slot here`);
      }
    }
    if (resource.resourceType === "Slot") {
      const slot = resource as Slot;
      const scheduleRef = slot.schedule?.reference ?? "";
      if (!scheduleRef.startsWith("Schedule/") || !store.read<Schedule>("Schedule", scheduleRef.slice(9))) {
        throw new FhirFailure(422, "processing", "Slot.schedule must reference a Schedule here");
      }
      const statuses = ["busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"];
      if (!statuses.includes(slot.status) || !slot.start || !slot.end || Date.parse(slot.end) <= Date.parse(slot.start)) {
        throw new FhirFailure(400, "invalid", "Slot needs a status and a start before its end");
      }
    }
  }

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    sendJson(res, status, body, { "content-type": "application/fhir+json", ...headers });
  const sendStored = (res: http.ServerResponse, status: number, resource: Stored, prefer: string) => {
    const headers = {
      etag: `W/"${resource.meta.versionId}"`,
      "last-modified": new Date(resource.meta.lastUpdated).toUTCString(),
      location: `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`,
    };
    if (prefer.includes("return=minimal")) res.writeHead(status, headers).end();
    else send(res, status, resource, headers);
  };
  const outcome = (res: http.ServerResponse, failure: FhirFailure) =>
    send(res, failure.status, {
      resourceType: "OperationOutcome",
      issue: [{ severity: failure.severity, code: failure.code, diagnostics: failure.message }],
    });
  const parse = <T>(raw: string): T => {
    try {
      return JSON.parse(raw) as T;
    } catch {
      throw new FhirFailure(400, "structure", "the body is not JSON");
    }
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://simulator");
    const rawBody = req.method === "POST" || req.method === "PUT" ? await readBody(req) : "";
    if (injector.handleAdmin(req, res, url, rawBody)) return;
    if (await injector.apply(res, url)) return;
    try {
      route(req, res, url, rawBody);
    } catch (error) {
      if (error instanceof FhirFailure) return outcome(res, error);
      throw error;
    }
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL, rawBody: string) {
    const method = req.method ?? "GET";
    const prefer = String(req.headers.prefer ?? "");
    if (method === "GET" && url.pathname === "/metadata") return send(res, 200, capabilityStatement(baseUrl, { ihe: !!ihe, transactions }));
    if (req.headers.authorization !== `Bearer ${token}`) throw new FhirFailure(401, "login", "a valid bearer token is required");
    ihe?.expireLapsedHolds();
    const [type, id, ...rest] = url.pathname.split("/").filter(Boolean);
    const query = url.searchParams;

    if (!type) {
      if (method === "GET" && query.has("_getpages")) return send(res, 200, search.page(query));
      if (method === "POST" && transactions) {
        const bundle = parse<Bundle>(rawBody);
        const response = processTransaction(bundle, { store, validate, prepareRead }, prefer.includes("return=representation"));
        return send(res, 200, response);
      }
      throw new FhirFailure(400, "not-supported", `${method} on the base URL is not supported`);
    }
    if (id?.startsWith("$")) {
      if (!ihe || type !== "Appointment" || rest.length) throw new FhirFailure(400, "not-supported", `operation ${id} is not known here`);
      const input = method === "POST" ? inputFromParameters(parse<Parameters>(rawBody)) : inputFromQuery(query);
      if (id === "$find" && (method === "GET" || method === "POST")) {
        return send(res, 200, ihe.find(input, injector.faults.malformed === "wrong-types"));
      }
      if (id === "$hold" && method === "POST") return send(res, 200, ihe.hold(input));
      if (id === "$book" && method === "POST") return send(res, 200, ihe.book(input));
      throw new FhirFailure(405, "not-supported", `${method} ${id} is not supported`);
    }
    if (!types.has(type)) throw new FhirFailure(404, "not-supported", `resource type ${type} is not supported`);
    if (rest.length) throw new FhirFailure(400, "not-supported", `${url.pathname} is not supported`);

    if (method === "GET" && !id) {
      const bundle = search.search(type, query, prefer.includes("handling=strict"));
      if (type === "Slot" && injector.faults.malformed === "wrong-types") {
        for (const entry of bundle.entry ?? []) entry.resource = { ...entry.resource, start: 20260329, end: null } as unknown as Resource;
      }
      return send(res, 200, bundle);
    }
    if (method === "GET" && id) {
      prepareRead(type, id);
      const found = store.read(type as Resource["resourceType"], id);
      if (!found) throw new FhirFailure(404, "not-found", `${type}/${id} is not known`);
      return sendStored(res, 200, found, "");
    }
    if (method === "POST" && !id) {
      const resource = parse<Resource>(rawBody);
      if (resource.resourceType !== type) throw new FhirFailure(400, "invalid", `the body must be a ${type}`);
      validate(resource);
      return sendStored(res, 201, store.create(resource), prefer);
    }
    if (method === "PUT" && id) {
      const resource = parse<Resource>(rawBody);
      if (resource.resourceType !== type || resource.id !== id) throw new FhirFailure(400, "invalid", `the body must be ${type}/${id}`);
      prepareRead(type, id);
      validate(resource);
      const ifMatch = versionFromETag(req.headers["if-match"] as string | undefined);
      return sendStored(res, 200, store.update(resource as Resource & { id: string }, ifMatch), prefer);
    }
    throw new FhirFailure(405, "not-supported", `${method} ${url.pathname} is not supported`);
  }

  const served = await serveSimulator(
    injector,
    handle,
    (res, error) => outcome(res, new FhirFailure(500, "exception", error.message)),
    options,
  );
  baseUrl = served.url;
  return Object.assign(served, {
    operations,
    stored: <T extends Resource>(type: T["resourceType"]) => store.all<T>(type),
  });
}
