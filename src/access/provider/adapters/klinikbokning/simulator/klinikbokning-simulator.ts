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
 * Faults (simulator-kit/fault-injector.ts) can be injected to see how the
 * platform copes: on the handle (`sim.faults`) or over HTTP
 * (`POST /__admin/faults`, `DELETE /__admin/faults`).
 */
export interface SimulatorOptions {
  port?: number;
  host?: string;
  apiKey?: string;
  seed?: string;
}

export interface KlinikbokningSimulator extends SimulatorServer {
  /** Holds and bookings made through the API, by booking id. */
  bookings: Map<string, SimBooking>;
}

const maxPageSize = 200;

export async function startKlinikbokningSimulator(options: SimulatorOptions = {}): Promise<KlinikbokningSimulator> {
  const apiKey = options.apiKey ?? "demo-key";
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
    if (req.headers["x-api-key"] !== apiKey) {
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
      const slots = generateSlots(clinic, serviceCode, from, to).filter(
        (slot) => !occupied(slot.timeslotId) && !takenBySomeoneElse(slot.timeslotId),
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
      if (!parseTimeslotId(timeslotId)) return badRequest(res, "unknown timeslotId");
      if (resource === "bookings" && !isPatient(body.patient)) return badRequest(res, "patient with name and phone is required");
      if (occupied(timeslotId) || takenBySomeoneElse(timeslotId)) {
        return send(res, 409, { error: { code: "TIMESLOT_TAKEN", message: "the timeslot is no longer free" } });
      }
      const booking: SimBooking = {
        bookingId: randomUUID(),
        timeslotId,
        externalReference: body.externalReference ?? "",
        status: resource === "holds" ? "HELD" : "BOOKED",
        expiresAt: resource === "holds" ? new Date(Date.now() + 1000 * (body.holdSeconds ?? 600)).toISOString() : undefined,
      };
      bookings.set(booking.bookingId, booking);
      return send(res, 201, booking);
    }
    if (req.method === "GET" && resource === "bookings" && !id) {
      const reference = url.searchParams.get("externalReference");
      return sendPage(
        res,
        url,
        [...bookings.values()].filter((b) => !reference || b.externalReference === reference),
      );
    }
    if (resource === "bookings" && id) {
      const booking = bookings.get(id);
      if (!booking) return notFound(res, `no booking ${id}`);
      if (req.method === "GET" && !sub) return send(res, 200, booking);
      if (req.method === "POST" && sub === "confirm") {
        const body = JSON.parse(rawBody || "{}") as { patient?: unknown };
        if (!isPatient(body.patient)) return badRequest(res, "patient with name and phone is required");
        if (booking.status === "BOOKED") return send(res, 200, booking);
        if (booking.status !== "HELD" || Date.parse(booking.expiresAt!) <= Date.now()) {
          return send(res, 410, { error: { code: "HOLD_EXPIRED", message: "the hold has expired" } });
        }
        booking.status = "BOOKED";
        booking.expiresAt = undefined;
        return send(res, 200, booking);
      }
      if (req.method === "DELETE" && !sub) {
        booking.status = "CANCELLED";
        return send(res, 200, booking);
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
}

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
