import { DateTime } from "luxon";
import type { AdapterFactory, BookingPatient, OpenSlot, ProviderAdapter, ProviderBookingState, ProviderCatalog } from "../../adapter.js";
import { fetchJson } from "../../private/fetch-json.js";
import { ProviderError } from "../../provider-error.js";

const pageSize = 200;
/** A provider that claims more pages than this is not a clinic's schedule but a bug. */
const maxPages = 50;

interface KlinikbokningTimeslot {
  timeslotId: string;
  date: string;
  startTime: string;
  endTime: string;
  practitionerId: string;
  practitionerName: string;
}

/**
 * Klinikbokning: a proprietary REST booking system (see simulator/ for what it
 * speaks). Its times are local wall-clock times in the instance's time zone
 * with no offset; converting them to instants is this adapter's job.
 *
 * On the autumn DST switch a wall-clock time like 02:30 happens twice; luxon
 * picks the earlier (summer-time) instant, the usual reading of an ambiguous
 * time. Clinics are closed at that hour, so no real slot is affected. In the
 * spring gap (02:00–03:00 does not exist) luxon moves the time forward an hour.
 */
export const createKlinikbokningAdapter: AdapterFactory = (instance, fetchImpl = fetch): ProviderAdapter => {
  const zone = instance.timeZone;
  const headers = { "x-api-key": instance.apiKey ?? "", accept: "application/json" };
  const fail = (detail: string) => new ProviderError(instance.id, "bad-response", detail);
  const api = `${instance.baseUrl.replace(/\/$/, "")}/api/v2`;

  /**
   * A write: 409 (taken or begun), 410 (hold lapsed) and 404 TIMESLOT_NOT_FOUND (a slot the clinic no
   * longer offers) are answers about the slot, not faults; any other 404 is a booking it does not know.
   */
  const write = async (
    method: string,
    path: string,
    template: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<ProviderBookingState> => {
    const response = await fetchJson(
      instance.id,
      `${api}${path}`,
      {
        method,
        headers: { ...headers, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        template: `/api/v2${template}`,
        accept: [404, 409, 410],
      },
      fetchImpl,
    );
    if (response.status === 404 && readErrorCode(response.body) !== "TIMESLOT_NOT_FOUND") {
      throw new ProviderError(instance.id, "not-found", `HTTP 404 for /api/v2${template}`);
    }
    if (response.status === 404 || response.status === 409 || response.status === 410) {
      throw new ProviderError(instance.id, "slot-unavailable", readErrorMessage(response.body));
    }
    return toBookingState(response.body, fail);
  };

  return {
    capabilities: { supportsHold: true, bookingMode: "api", asyncWrite: false, pushChanges: false, catalog: true },

    holdSlot: ({ providerSlotId, reference, holdSeconds }, signal) =>
      write("POST", "/holds", "/holds", { timeslotId: providerSlotId, externalReference: reference, holdSeconds }, signal),

    confirmHold: ({ providerBookingRef, patient, note }, signal) =>
      write(
        "POST",
        `/bookings/${encodeURIComponent(providerBookingRef)}/confirm`,
        "/bookings/{bookingId}/confirm",
        { patient: toKlinikbokningPatient(patient), note },
        signal,
      ),

    bookSlot: ({ providerSlotId, reference, patient, note }, signal) =>
      write(
        "POST",
        "/bookings",
        "/bookings",
        { timeslotId: providerSlotId, externalReference: reference, patient: toKlinikbokningPatient(patient), note },
        signal,
      ),

    cancelBooking: ({ providerBookingRef }, signal) =>
      write("DELETE", `/bookings/${encodeURIComponent(providerBookingRef)}`, "/bookings/{bookingId}", undefined, signal),

    async findBooking(reference, signal) {
      const { body } = await fetchJson(
        instance.id,
        `${api}/bookings?${new URLSearchParams({ externalReference: reference })}`,
        { headers, signal, template: "/api/v2/bookings" },
        fetchImpl,
      );
      const { data } = readPage(body, fail);
      // Only a booking under our own reference is ours, whatever else a server answers to the filter.
      const ours = data.filter((item) => (item as { externalReference?: unknown } | null)?.externalReference === reference);
      return ours.map((item) => toBookingState(item, fail, zone)).find((b) => b.status !== "cancelled");
    },

    async findOpenSlots(query, signal) {
      // The API takes calendar dates in the clinic's zone; ask for every date the window touches.
      const fromDate = DateTime.fromJSDate(query.window.start, { zone }).toISODate()!;
      const toDate = DateTime.fromJSDate(new Date(query.window.end.getTime() - 1), { zone }).toISODate()!;
      const items = await allPages(
        `/clinics/${encodeURIComponent(query.clinicCode)}/timeslots`,
        "/clinics/{clinicCode}/timeslots",
        { serviceCode: query.treatmentCode, fromDate, toDate },
        signal,
      );
      return items
        .map((item) => toOpenSlot(item, zone, fail))
        .filter((slot) => slot.start >= query.window.start && slot.start < query.window.end);
    },

    async listCatalog(signal) {
      const clinics = (await allPages("/clinics", "/clinics", {}, signal)).map((item) => readClinic(item, fail));
      const treatments = new Map<string, ProviderCatalog["treatments"][number]>();
      const practitioners: ProviderCatalog["practitioners"] = [];
      for (const clinic of clinics) {
        const path = `/clinics/${encodeURIComponent(clinic.code)}`;
        for (const item of await allPages(`${path}/services`, "/clinics/{clinicCode}/services", {}, signal)) {
          const service = readService(item, fail);
          const known = treatments.get(service.code) ?? { ...service, clinicCodes: [] };
          known.clinicCodes.push(clinic.code);
          treatments.set(service.code, known);
        }
        for (const item of await allPages(`${path}/practitioners`, "/clinics/{clinicCode}/practitioners", {}, signal))
          practitioners.push({ ...readPractitioner(item, fail), clinicCode: clinic.code });
      }
      return { clinics, treatments: [...treatments.values()], practitioners };
    },
  };

  /** Every item of a paged list. */
  async function allPages(path: string, template: string, query: Record<string, string>, signal: AbortSignal): Promise<unknown[]> {
    const items: unknown[] = [];
    for (let page = 1; ; page++) {
      const params = new URLSearchParams({ ...query, page: String(page), pageSize: String(pageSize) });
      const { body } = await fetchJson(
        instance.id,
        `${api}${path}?${params}`,
        { headers, signal, template: `/api/v2${template}` },
        fetchImpl,
      );
      const { data, totalPages } = readPage(body, fail);
      items.push(...data);
      if (page >= totalPages) return items;
      if (page >= maxPages) throw fail(`more than ${maxPages} pages from ${path}`);
    }
  }
};

function readClinic(item: unknown, fail: (detail: string) => ProviderError): ProviderCatalog["clinics"][number] {
  const c = item as Record<string, unknown> | null;
  if (typeof c?.clinicCode !== "string" || typeof c.displayName !== "string" || typeof c.timezone !== "string") {
    throw fail("clinic without clinicCode, displayName or timezone");
  }
  return { code: c.clinicCode, name: c.displayName, city: String(c.city ?? ""), address: String(c.street ?? ""), timeZone: c.timezone };
}

function readService(item: unknown, fail: (detail: string) => ProviderError) {
  const s = item as Record<string, unknown> | null;
  if (typeof s?.serviceCode !== "string" || typeof s.title !== "string" || typeof s.lengthMinutes !== "number") {
    throw fail("service without serviceCode, title or lengthMinutes");
  }
  return { code: s.serviceCode, name: s.title, durationMinutes: s.lengthMinutes };
}

function readPractitioner(item: unknown, fail: (detail: string) => ProviderError) {
  const p = item as Record<string, unknown> | null;
  if (typeof p?.practitionerId !== "string" || typeof p.fullName !== "string" || !Array.isArray(p.serviceCodes)) {
    throw fail("practitioner without practitionerId, fullName or serviceCodes");
  }
  return { code: p.practitionerId, name: p.fullName, treatmentCodes: p.serviceCodes.map(String) };
}

function toKlinikbokningPatient(patient: BookingPatient) {
  return {
    name: patient.name,
    personnummer: patient.personalIdentityNumber || undefined,
    birthDate: patient.dateOfBirth || undefined,
    phone: patient.phone,
    email: patient.email,
  };
}

function toBookingState(body: unknown, fail: (detail: string) => ProviderError, zone?: string): ProviderBookingState {
  const booking = body as {
    bookingId?: unknown;
    status?: unknown;
    expiresAt?: unknown;
    timeslotId?: unknown;
    date?: unknown;
    startTime?: unknown;
    endTime?: unknown;
  } | null;
  if (typeof booking?.bookingId !== "string") throw fail("booking without a `bookingId`");
  const status = { HELD: "held", BOOKED: "booked", CANCELLED: "cancelled" }[String(booking.status)] as
    | ProviderBookingState["status"]
    | undefined;
  if (!status) throw fail(`booking ${booking.bookingId} has unknown status ${String(booking.status)}`);
  const holdExpiresAt = typeof booking.expiresAt === "string" ? new Date(booking.expiresAt) : undefined;
  if (holdExpiresAt && Number.isNaN(holdExpiresAt.getTime())) throw fail(`booking ${booking.bookingId} has an unreadable expiresAt`);
  // Where the booking is (the clinic may have moved it): its timeslot, and its local times read in the clinic's zone.
  const where: Pick<ProviderBookingState, "providerSlotId" | "start" | "end"> = {};
  if (typeof booking.timeslotId === "string") where.providerSlotId = booking.timeslotId;
  if (zone && typeof booking.date === "string" && typeof booking.startTime === "string" && typeof booking.endTime === "string") {
    const start = DateTime.fromISO(`${booking.date}T${booking.startTime}`, { zone });
    const end = DateTime.fromISO(`${booking.date}T${booking.endTime}`, { zone });
    if (start.isValid && end.isValid) Object.assign(where, { start: start.toJSDate(), end: end.toJSDate() });
  }
  return { providerBookingRef: booking.bookingId, status, holdExpiresAt, ...where };
}

function readErrorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === "string" ? code : undefined;
}

function readErrorMessage(body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === "string" ? message : "the slot is no longer available";
}

function readPage(body: unknown, fail: (detail: string) => ProviderError): { data: unknown[]; totalPages: number } {
  if (typeof body !== "object" || body === null) throw fail("expected a JSON object");
  const { data, paging } = body as { data?: unknown; paging?: { totalPages?: unknown } };
  if (!Array.isArray(data)) throw fail("expected `data` to be an array");
  const totalPages = paging?.totalPages;
  if (typeof totalPages !== "number" || !Number.isInteger(totalPages) || totalPages < 1) {
    throw fail("expected `paging.totalPages` to be a positive whole number");
  }
  return { data, totalPages };
}

function toOpenSlot(item: unknown, zone: string, fail: (detail: string) => ProviderError): OpenSlot {
  const slot = item as Partial<Record<keyof KlinikbokningTimeslot, unknown>>;
  for (const field of ["timeslotId", "date", "startTime", "endTime", "practitionerId", "practitionerName"] as const) {
    if (typeof slot?.[field] !== "string") throw fail(`timeslot field \`${field}\` is missing or not a string`);
  }
  const { timeslotId, date, startTime, endTime, practitionerId, practitionerName } = slot as KlinikbokningTimeslot;
  const start = DateTime.fromISO(`${date}T${startTime}`, { zone });
  const end = DateTime.fromISO(`${date}T${endTime}`, { zone });
  if (!start.isValid || !end.isValid || end <= start)
    throw fail(`timeslot ${timeslotId} has unreadable times ${date} ${startTime}–${endTime}`);
  return {
    providerSlotId: timeslotId,
    start: start.toJSDate(),
    end: end.toJSDate(),
    practitionerCode: practitionerId,
    practitionerName,
  };
}
