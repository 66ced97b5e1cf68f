import { createDynamoDbClients, dynamoDbSettingsFromEnv } from "../../utilities/dynamodb/dynamodb-config.js";
import { prepareTable } from "../../utilities/dynamodb/table-design.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createBookingAccess } from "./booking-access.js";
import { BookingAccessService } from "./v1/booking_access_pb.js";

await runGrpcService("booking-access", async () => {
  const settings = dynamoDbSettingsFromEnv();
  const { client, documents } = createDynamoDbClients(settings);
  await prepareTable(client, settings);
  const access = createBookingAccess({ documents, tableName: settings.tableName });
  return (router) => router.service(BookingAccessService, access);
});
