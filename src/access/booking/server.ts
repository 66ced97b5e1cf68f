import { createDynamoDbClients, dynamoDbSettingsFromEnv } from "../../utilities/dynamodb/dynamodb-config.js";
import { ensureTable } from "../../utilities/dynamodb/table-design.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createBookingAccess } from "./booking-access.js";
import { BookingAccessService } from "./v1/booking_access_pb.js";

await runGrpcService("booking-access", async () => {
  const settings = dynamoDbSettingsFromEnv();
  const { client, documents } = createDynamoDbClients(settings);
  await ensureTable(client, settings.tableName);
  const access = createBookingAccess({ documents, tableName: settings.tableName });
  return (router) => router.service(BookingAccessService, access);
});
