import { Code, ConnectError } from "@connectrpc/connect";

/** The sort key of the last slot on a page; the next page starts strictly after it. */
export interface SlotCursor {
  start: number;
  clinicId: string;
  providerSlotId: string;
}

/**
 * Page tokens are cursors, not offsets: providers answer afresh for every page,
 * and a slot booked meanwhile must not shift the next page onto one already seen.
 */
export function encodePageToken(cursor: SlotCursor): string {
  return Buffer.from(JSON.stringify([cursor.start, cursor.clinicId, cursor.providerSlotId])).toString("base64url");
}

export function decodePageToken(token: string): SlotCursor {
  try {
    const [start, clinicId, providerSlotId] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    if (typeof start === "number" && typeof clinicId === "string" && typeof providerSlotId === "string") {
      return { start, clinicId, providerSlotId };
    }
  } catch {
    // fall through to the error below
  }
  throw new ConnectError("page_token is not one this service handed out", Code.InvalidArgument);
}

export function compareCursors(a: SlotCursor, b: SlotCursor): number {
  return a.start - b.start || a.clinicId.localeCompare(b.clinicId) || a.providerSlotId.localeCompare(b.providerSlotId);
}
