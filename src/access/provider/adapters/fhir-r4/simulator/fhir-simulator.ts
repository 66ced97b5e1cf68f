import { createHash, randomUUID } from "node:crypto";
import type http from "node:http";
import type { Appointment, Bundle, Resource, Schedule, Slot } from "@medplum/fhirtypes";
import { DateTime } from "luxon";
import { FaultInjector, readBody, sendJson } from "../../../simulator-kit/fault-injector.js";
import { type SimulatorServer, serveSimulator } from "../../../simulator-kit/serve-simulator.js";
import { locations, practitioners, serviceTypeSystem, serviceTypes, timeZoneExtension } from "./seed-data.js";

/**
 * A FHIR R4 scheduling server, the subset clinics' EHRs expose: Location,
 * Practitioner, Schedule and Slot search, booking by creating an Appointment
 * that references a Slot (the slot becomes busy), cancelling by updating the
 * Appointment to `cancelled`, and Appointment search by identifier. Searches
 * answer searchset Bundles paged with `next` links. Auth: a bearer token.
 * It does not offer the IHE ITI $find/$hold/$book operations.
 */
export type FhirSimulator = SimulatorServer;

const pageSize = 50;

export async function startFhirSimulator(
  options: { port?: number; host?: string; token?: string; seed?: string } = {},
): Promise<FhirSimulator> {
  const token = options.token ?? "demo-token";
  const seed = options.seed ?? "fhir";
  const injector = new FaultInjector();
  const appointments = new Map<string, Appointment>();
  let baseUrl = "";

  const schedules: Schedule[] = practitioners.flatMap((p) =>
    p.serviceCodes.map((code) => ({
      resourceType: "Schedule",
      id: `sch-${p.id}-${code}`,
      active: true,
      serviceType: [{ coding: [{ system: serviceTypeSystem, code, display: serviceTypes.find((s) => s.code === code)!.display }] }],
      actor: [{ reference: `Location/${p.locationId}` }, { reference: `Practitioner/${p.id}`, display: p.name }],
    })),
  );
  const busyByOthers = (slotId: string) => createHash("sha256").update(`${seed}:${slotId}`).digest()[0]! % 5 === 0;
  const bookedSlot = (slotId: string) =>
    [...appointments.values()].some((a) => a.status !== "cancelled" && a.slot?.some((s) => s.reference === `Slot/${slotId}`));

  /** The slots of one schedule on the local dates touched by [from, to). */
  function slotsOf(schedule: Schedule, from: DateTime, to: DateTime): Slot[] {
    const locationId = schedule.actor[0]!.reference!.split("/")[1]!;
    const location = locations.find((l) => l.id === locationId)!;
    const code = schedule.serviceType![0]!.coding![0]!.code!;
    const minutes = serviceTypes.find((s) => s.code === code)!.minutes;
    const slots: Slot[] = [];
    for (let day = from.setZone(location.timeZone).startOf("day"); day < to; day = day.plus({ days: 1 })) {
      const hours = location.hours[day.weekday];
      if (!hours) continue;
      const [open, close] = hours.map((hm) => day.set({ hour: Number(hm.slice(0, 2)), minute: Number(hm.slice(3, 5)) }));
      for (let start = open!; start.plus({ minutes }) <= close!; start = start.plus({ minutes })) {
        const id = `${schedule.id}-${start.toFormat("yyyyMMdd-HHmm")}`;
        slots.push({
          resourceType: "Slot",
          id,
          schedule: { reference: `Schedule/${schedule.id}` },
          status: busyByOthers(id) || bookedSlot(id) ? "busy" : "free",
          start: start.toISO({ suppressMilliseconds: true })!,
          end: start.plus({ minutes }).toISO({ suppressMilliseconds: true })!,
        });
      }
    }
    return slots;
  }

  function findSlot(id: string): Slot | undefined {
    const schedule = schedules.find((s) => id.startsWith(`${s.id}-`));
    const stamp = schedule
      ? DateTime.fromFormat(id.slice(schedule.id!.length + 1), "yyyyMMdd-HHmm", { zone: "Europe/Stockholm" })
      : undefined;
    if (!schedule || !stamp?.isValid) return undefined;
    return slotsOf(schedule, stamp.startOf("day"), stamp.endOf("day")).find((s) => s.id === id);
  }

  function bundle(url: URL, resources: Resource[]): Bundle {
    const offset = Number(url.searchParams.get("_offset") ?? 0);
    const count = Math.min(Number(url.searchParams.get("_count") ?? pageSize) || pageSize, 200);
    const page = resources.slice(offset, offset + count);
    const link: Bundle["link"] = [{ relation: "self", url: `${baseUrl}${url.pathname}${url.search}` }];
    if (offset + count < resources.length) {
      const next = new URL(url.toString());
      next.searchParams.set("_offset", String(offset + count));
      link.push({ relation: "next", url: `${baseUrl}${next.pathname}${next.search}` });
    }
    return {
      resourceType: "Bundle",
      type: "searchset",
      total: resources.length,
      link,
      entry: page.map((resource) => ({
        fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`,
        resource,
        search: { mode: "match" },
      })),
    };
  }

  const outcome = (res: http.ServerResponse, status: number, code: string, text: string) =>
    sendJson(
      res,
      status,
      { resourceType: "OperationOutcome", issue: [{ severity: "error", code, diagnostics: text }] },
      { "content-type": "application/fhir+json" },
    );
  const send = (res: http.ServerResponse, status: number, body: unknown) =>
    sendJson(res, status, body, { "content-type": "application/fhir+json" });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://simulator");
    const rawBody = req.method === "POST" || req.method === "PUT" ? await readBody(req) : "";
    if (injector.handleAdmin(req, res, url, rawBody)) return;
    if (await injector.apply(res, url)) return;
    if (req.headers.authorization !== `Bearer ${token}`) return outcome(res, 401, "login", "a valid bearer token is required");
    // The server's root is its FHIR base URL.
    const [type, id] = url.pathname.split("/").filter(Boolean);
    const q = url.searchParams;

    if (req.method === "GET" && type === "Location" && !id) {
      return send(
        res,
        200,
        bundle(
          url,
          locations.map((l) => ({
            resourceType: "Location",
            id: l.id,
            name: l.name,
            address: { line: [l.line], city: l.city, country: "SE" },
            extension: [{ url: timeZoneExtension, valueCode: l.timeZone }],
          })),
        ),
      );
    }
    if (req.method === "GET" && type === "Practitioner" && !id) {
      return send(
        res,
        200,
        bundle(
          url,
          practitioners.map((p) => ({ resourceType: "Practitioner", id: p.id, name: [{ text: p.name }] })),
        ),
      );
    }
    if (req.method === "GET" && type === "Schedule" && !id) {
      const actor = q.get("actor");
      const serviceType = q.get("service-type");
      const matches = schedules.filter(
        (s) =>
          (!actor || s.actor.some((a) => a.reference === actor)) &&
          (!serviceType ||
            s.serviceType!.some((t) => t.coding!.some((c) => serviceType === c.code || serviceType === `${c.system}|${c.code}`))),
      );
      return send(res, 200, bundle(url, matches));
    }
    if (req.method === "GET" && type === "Slot" && !id) {
      const schedule = schedules.find((s) => `Schedule/${s.id}` === q.get("schedule"));
      const bounds = q.getAll("start");
      const ge = bounds.find((b) => b.startsWith("ge"))?.slice(2);
      const lt = bounds.find((b) => b.startsWith("lt"))?.slice(2);
      if (!schedule) return outcome(res, 400, "invalid", "schedule=Schedule/<id> is required");
      const from = ge ? DateTime.fromISO(ge) : undefined;
      const to = lt ? DateTime.fromISO(lt) : undefined;
      if (!from?.isValid || !to?.isValid) return outcome(res, 400, "invalid", "start=ge<instant> and start=lt<instant> are required");
      if (to.diff(from, "days").days > 62) return outcome(res, 400, "too-costly", "at most 62 days per search");
      let slots = slotsOf(schedule, from, to).filter((s) => DateTime.fromISO(s.start) >= from && DateTime.fromISO(s.start) < to);
      if (q.get("status")) slots = slots.filter((s) => s.status === q.get("status"));
      if (injector.faults.malformed === "wrong-types") {
        return send(
          res,
          200,
          bundle(
            url,
            slots.map((s) => ({ ...s, start: 20260329, end: null }) as unknown as Slot),
          ),
        );
      }
      return send(res, 200, bundle(url, slots));
    }
    if (req.method === "POST" && type === "Appointment" && !id) {
      const appointment = JSON.parse(rawBody || "{}") as Appointment;
      const slotRef = appointment.slot?.[0]?.reference;
      const slot = slotRef?.startsWith("Slot/") ? findSlot(slotRef.slice(5)) : undefined;
      if (appointment.resourceType !== "Appointment" || !slot)
        return outcome(res, 400, "invalid", "an Appointment referencing an existing Slot is required");
      if (!appointment.participant?.length) return outcome(res, 400, "required", "Appointment.participant is required");
      if (slot.status !== "free") return outcome(res, 409, "conflict", `Slot/${slot.id} is busy`);
      const stored: Appointment = {
        ...appointment,
        id: randomUUID(),
        status: "booked",
        start: slot.start,
        end: slot.end,
        meta: { versionId: "1" },
      };
      appointments.set(stored.id!, stored);
      return sendJson(res, 201, stored, {
        "content-type": "application/fhir+json",
        location: `${baseUrl}/Appointment/${stored.id}/_history/1`,
      });
    }
    if (type === "Appointment" && id) {
      const stored = appointments.get(id);
      if (!stored) return outcome(res, 404, "not-found", `Appointment/${id} is not known`);
      if (req.method === "GET") return send(res, 200, stored);
      if (req.method === "PUT") {
        const update = JSON.parse(rawBody || "{}") as Appointment;
        if (update.resourceType !== "Appointment" || update.id !== id)
          return outcome(res, 400, "invalid", "the body must be this Appointment");
        const next: Appointment = {
          ...stored,
          status: update.status,
          meta: { versionId: String(Number(stored.meta?.versionId ?? 1) + 1) },
        };
        appointments.set(id, next);
        return send(res, 200, next);
      }
    }
    if (req.method === "GET" && type === "Appointment" && !id) {
      const identifier = q.get("identifier") ?? "";
      const [system, value] = identifier.includes("|") ? identifier.split("|") : [undefined, identifier];
      const matches = [...appointments.values()].filter((a) =>
        a.identifier?.some((i) => i.value === value && (!system || i.system === system)),
      );
      return send(res, 200, bundle(url, matches));
    }
    return outcome(res, 404, "not-supported", `${req.method} ${url.pathname} is not supported`);
  }

  const served = await serveSimulator(injector, handle, (res, error) => outcome(res, 500, "exception", error.message), options);
  baseUrl = served.url;
  return served;
}
