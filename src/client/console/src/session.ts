import type { BookingClient } from "@booking-platform/client";
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export interface Session {
  client: BookingClient;
  /** Whether the key also has `availability:read`: Vården's catalog for mapping, and searches for slots. */
  canSearch: boolean;
  signOut: (message?: string) => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("used outside a signed-in session");
  return session;
}
