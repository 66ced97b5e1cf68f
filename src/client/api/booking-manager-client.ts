import type { Client } from "@connectrpc/connect";
import type { BookingManagerService } from "../../managers/booking/v1/booking_manager_pb.js";

/** The one service the REST API calls. */
export type BookingManagerClient = Client<typeof BookingManagerService>;
