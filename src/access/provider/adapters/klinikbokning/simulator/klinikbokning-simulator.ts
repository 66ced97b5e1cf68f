import { createHash, randomUUID } from "node:crypto";
import type http from "node:http";
import { DateTime } from "luxon";
import { FaultInjector, readBody, sendJson } from "../../../simulator-kit/fault-injector.js";
import { type SimulatorServer, serveSimulator } from "../../../simulator-kit/serve-simulator.js";
import { clinics, practitioners, type SimClinic, services } from "./seed-data.js";

/**
 * A stand-in for Klinikbokning, a proprietary REST booking system of the kind
 * Swedish clinic chains run: its own JSON shapes, an API key in X-Api-Key,
 * page/pageSize paging, and local Europe/Stockholm wall-clock times without
 * an offset. Slots are generated (deterministically, from the seed) for any
 * date, so tests and demos work whatever today is.
 *
 * Bookings: `POST /api/v2/holds` (a hold that lapses), `POST /api/v2/bookings`
 * (a booking at once), `POST /api/v2/bookings/{id}/confirm`, `DELETE
 * /api/v2/bookings/{id}`, `GET /api/v2/bookings?externalReference=…`. Every
 * booking carries the caller's externalReference so that a caller whose
 * answer was lost can find it again.
 *
 * It is as strict as such a server: it lists only slots that have not begun,
 * books only slots it actually offers (404 TIMESLOT_NOT_FOUND for any other
 * id, 409 for one taken or begun), caps holds at 15 minutes whatever is asked,
 * and serves several API clients (us, the clinics' front desk, other
 * marketplaces) that compete for the same slots, each seeing and changing only
 * its own bookings: an externalReference is the client's own.
 *
 * Faults (simulator-kit/fault-injector.ts) can be injected to see how the
 * platform copes: on the handle (`sim.faults`) or over HTTP
 * (`POST /__admin/faults`, `DELETE /__admin/faults`).
 */
export interface SimulatorOptions {
  port?: number;
  host?: string;
  apiKey?: string;
  /** The API keys of the server's other clients, which book the same slots (default: the front desk's). */
  otherApiKeys?: string[];
  seed?: string;
}

/** The API key the clinics' front desk books with: another client competing for the same slots. */
export const frontDeskApiKey = "front-desk-key";
/** Holds last at most this long, whatever a client asks for. */
export const maxHoldSeconds = 900;

export interface KlinikbokningSimulator extends SimulatorServer {
  /** Holds and bookings made through the API, by booking id. */
  bookings: Map<string, SimBooking>;
}

const maxPageSize = 200;

export async function startKlinikbokningSimulator(options: SimulatorOptions = {}): Promise<KlinikbokningSimulator> {
  const apiKey = options.apiKey ?? "demo-key";
  const otherApiKeys = options.otherApiKeys ?? [frontDeskApiKey];
  const seed = options.seed ?? "klinikbokning";
  const injector = new FaultInjector();
  const bookings = new Map<string, SimBooking>();
  const occupied = (timeslotId: string, now = Date.now()) =>
    [...bookings.values()].some(
      (b) => b.timeslotId === timeslotId && (b.status === "BOOKED" || (b.status === "HELD" && Date.parse(b.expiresAt!) > now)),
    );

  const takenBySomeoneElse = (timeslotId: string) => createHash("sha256").update(`${seed}:${timeslotId}`).digest()[0]! % 4 === 0;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://simulator");
    // Read the whole request before any injected delay, as a real server would:
    // a caller that gives up while we "work" must not stop the work.
    const rawBody = req.method === "POST" ? await readBody(req) : "";
    if (injector.handleAdmin(req, res, url, rawBody)) return;
    if (url.pathname === "/health") return send(res, 200, { status: "ok" });
    if (await injector.apply(res, url)) return;
    const faults = injector.faults;
    const client = String(req.headers["x-api-key"] ?? "");
    if (client !== apiKey && !otherApiKeys.includes(client)) {
      return send(res, 401, { error: { code: "UNAUTHORIZED", message: "missing or wrong X-Api-Key" } });
    }

    const parts = url.pathname.split("/").filter(Boolean); // api, v2, ...
    if (parts[0] !== "api" || parts[1] !== "v2") return notFound(res);
    const [, , resource, id, sub] = parts;

    if (req.method === "GET" && resource === "clinics" && !id) {
      return sendPage(
        res,
        url,
        clinics.map(({ hours: _hours, ...clinic }) => clinic),
      );
    }
    const clinic = clinics.find((c) => c.clinicCode === id);
    if (resource === "clinics" && !clinic) return notFound(res, `no clinic ${id}`);
    if (req.method === "GET" && resource === "clinics" && clinic && sub === "services") {
      const codes = new Set(practitioners.filter((p) => p.clinicCode === clinic.clinicCode).flatMap((p) => p.serviceCodes));
      return sendPage(
        res,
        url,
        services.filter((s) => codes.has(s.serviceCode)),
      );
    }
    if (req.method === "GET" && resource === "clinics" && clinic && sub === "practitioners") {
      return sendPage(
        res,
        url,
        practitioners.filter((p) => p.clinicCode === clinic.clinicCode).map(({ clinicCode: _c, ...p }) => p),
      );
    }
    if (req.method === "GET" && resource === "clinics" && clinic && sub === "timeslots") {
      const serviceCode = url.searchParams.get("serviceCode") ?? "";
      const from = DateTime.fromISO(url.searchParams.get("fromDate") ?? "", { zone: clinic.timezone });
      const to = DateTime.fromISO(url.searchParams.get("toDate") ?? "", { zone: clinic.timezone });
      if (!services.some((s) => s.serviceCode === serviceCode)) return badRequest(res, "unknown serviceCode");
      if (!from.isValid || !to.isValid || to < from) return badRequest(res, "fromDate and toDate must be dates, fromDate first");
      if (to.diff(from, "days").days > 62) return badRequest(res, "at most 62 days per request");
      const now = DateTime.now();
      const slots = generateSlots(clinic, serviceCode, from, to).filter(
        (slot) => startOf(slot, clinic) > now && !occupied(slot.timeslotId) && !takenBySomeoneElse(slot.timeslotId),
      );
      if (faults.malformed === "wrong-types" && (!faults.pathPrefix || url.pathname.startsWith(faults.pathPrefix))) {
        return sendPage(
          res,
          url,
          slots.map((slot) => ({ ...slot, startTime: 900, date: null })),
        );
      }
      return sendPage(res, url, slots);
    }
    if (req.method === "POST" && (resource === "bookings" || resource === "holds") && !id) {
      const body = JSON.parse(rawBody || "{}") as {
        timeslotId?: string;
        externalReference?: string;
        holdSeconds?: number;
        patient?: unknown;
      };
      const timeslotId = body.timeslotId ?? "";
      const offered = findTimeslot(timeslotId);
      if (!offered) return send(res, 404, { error: { code: "TIMESLOT_NOT_FOUND", message: "no such timeslot" } });
      if (resource === "bookings" && !isPatient(body.patient)) return badRequest(res, "patient with name and phone is required");
      if (startOf(offered.slot, offered.clinic) <= DateTime.now()) {
        return send(res, 409, { error: { code: "TIMESLOT_IN_PAST", message: "the timeslot has begun" } });
      }
      if (occupied(timeslotId) || takenBySomeoneElse(timeslotId)) {
        return send(res, 409, { error: { code: "TIMESLOT_TAKEN", message: "the timeslot is no longer free" } });
      }
      const holdSeconds = Math.min(Math.max(0, body.holdSeconds ?? 600), maxHoldSeconds);
      const booking: SimBooking = {
        bookingId: randomUUID(),
        timeslotId,
        externalReference: body.externalReference ?? "",
        status: resource === "holds" ? "HELD" : "BOOKED",
        expiresAt: resource === "holds" ? new Date(Date.now() + 1000 * holdSeconds).toISOString() : undefined,
        client,
      };
      bookings.set(booking.bookingId, booking);
      return send(res, 201, view(booking));
    }
    if (req.method === "GET" && resource === "bookings" && !id) {
      const reference = url.searchParams.get("externalReference");
      return sendPage(
        res,
        url,
        [...bookings.values()].filter((b) => b.client === client && (!reference || b.externalReference === reference)).map(view),
      );
    }
    if (resource === "bookings" && id) {
      const booking = bookings.get(id);
      // Another client's booking is none of this client's business.
      if (!booking || booking.client !== client) return notFound(res, `no booking ${id}`);
      if (req.method === "GET" && !sub) return send(res, 200, view(booking));
      if (req.method === "POST" && sub === "confirm") {
        const body = JSON.parse(rawBody || "{}") as { patient?: unknown };
        if (!isPatient(body.patient)) return badRequest(res, "patient with name and phone is required");
        if (booking.status === "BOOKED") return send(res, 200, view(booking));
        if (booking.status !== "HELD" || Date.parse(booking.expiresAt!) <= Date.now()) {
          return send(res, 410, { error: { code: "HOLD_EXPIRED", message: "the hold has expired" } });
        }
        booking.status = "BOOKED";
        booking.expiresAt = undefined;
        return send(res, 200, view(booking));
      }
      if (req.method === "DELETE" && !sub) {
        booking.status = "CANCELLED";
        return send(res, 200, view(booking));
      }
    }
    return notFound(res);
  }

  const served = await serveSimulator(
    injector,
    handle,
    (res, error) => send(res, 500, { error: { code: "INTERNAL", message: error.message } }),
    options,
  );
  return Object.assign(served, { bookings });
}

export interface SimBooking {
  bookingId: string;
  timeslotId: string;
  externalReference: string;
  status: "HELD" | "BOOKED" | "CANCELLED";
  /** For holds: when the hold lapses, an ISO instant. */
  expiresAt?: string;
  /** The API key of the client that made it (not part of the API's answers). */
  client: string;
}

/** A booking as the API shows it: with the date and wall-clock times of its timeslot, as a clinic system's bookings have. */
function view({ client: _client, ...booking }: SimBooking) {
  const slot = findTimeslot(booking.timeslotId)?.slot;
  return { ...booking, ...(slot ? { date: slot.date, startTime: slot.startTime, endTime: slot.endTime } : {}) };
}

/** The timeslot an id names, if the clinic offers it at all (whether free or not). */
function findTimeslot(id: string): { slot: Timeslot; clinic: SimClinic } | undefined {
  const parsed = parseTimeslotId(id);
  const clinic = clinics.find((c) => c.clinicCode === parsed?.clinicCode);
  if (!parsed || !clinic || !services.some((s) => s.serviceCode === parsed.serviceCode)) return undefined;
  const day = DateTime.fromISO(parsed.date, { zone: clinic.timezone });
  if (!day.isValid) return undefined;
  const slot = generateSlots(clinic, parsed.serviceCode, day, day).find((s) => s.timeslotId === id);
  return slot ? { slot, clinic } : undefined;
}

const startOf = (slot: Timeslot, clinic: SimClinic) => DateTime.fromISO(`${slot.date}T${slot.startTime}`, { zone: clinic.timezone });

function isPatient(patient: unknown): boolean {
  const p = patient as { name?: unknown; phone?: unknown } | undefined;
  return typeof p?.name === "string" && p.name.length > 0 && typeof p.phone === "string";
}

interface Timeslot {
  timeslotId: string;
  date: string;
  startTime: string;
  endTime: string;
  practitionerId: string;
  practitionerName: string;
}

function generateSlots(clinic: SimClinic, serviceCode: string, from: DateTime, to: DateTime): Timeslot[] {
  const length = services.find((s) => s.serviceCode === serviceCode)!.lengthMinutes;
  const staff = practitioners.filter((p) => p.clinicCode === clinic.clinicCode && p.serviceCodes.includes(serviceCode));
  const slots: Timeslot[] = [];
  for (let day = from.startOf("day"); day <= to; day = day.plus({ days: 1 })) {
    const hours = clinic.hours[day.weekday];
    if (!hours) continue;
    const date = day.toISODate()!;
    const [open, close] = hours.map(minutesOf) as [number, number];
    for (const person of staff) {
      for (let start = open; start + length <= close; start += length) {
        const startTime = hhmm(start);
        slots.push({
          timeslotId: `${clinic.clinicCode}.${serviceCode}.${date}.${startTime.replace(":", "")}.${person.practitionerId}`,
          date,
          startTime,
          endTime: hhmm(start + length),
          practitionerId: person.practitionerId,
          practitionerName: person.fullName,
        });
      }
    }
  }
  return slots.sort((a, b) => `${a.date}${a.startTime}`.localeCompare(`${b.date}${b.startTime}`));
}

function parseTimeslotId(id: string) {
  const [clinicCode, serviceCode, date, time, practitionerId] = id.split(".");
  if (!clinicCode || !serviceCode || !date || !time || !practitionerId) return undefined;
  return { clinicCode, serviceCode, date, time, practitionerId };
}

const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

function sendPage(res: http.ServerResponse, url: URL, items: unknown[]) {
  const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
  const pageSize = Math.min(maxPageSize, Math.max(1, Number(url.searchParams.get("pageSize") ?? 50) || 50));
  const totalPages = Math.max(1, Math.ceil(items.length / pageSize));
  send(res, 200, {
    data: items.slice((page - 1) * pageSize, page * pageSize),
    paging: { page, pageSize, totalPages, totalItems: items.length },
  });
}

const send = sendJson;
const notFound = (res: http.ServerResponse, message = "no such resource") => send(res, 404, { error: { code: "NOT_FOUND", message } });
const badRequest = (res: http.ServerResponse, message: string) => send(res, 400, { error: { code: "BAD_REQUEST", message } });
