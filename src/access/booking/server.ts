import { createDynamoDbClients, dynamoDbSettingsFromEnv } from "../../utilities/dynamodb/dynamodb-config.js";
import { prepareTable } from "../../utilities/dynamodb/table-design.js";
import { runGrpcService } from "../../utilities/rpc/run-grpc-service.js";
import { createBookingAccess } from "./booking-access.js";
import { createPatientDataCipher } from "./private/patient-data-cipher.js";
import { patientDataKeyring } from "./private/patient-data-keys.js";
import { BookingAccessService } from "./v1/booking_access_pb.js";

await runGrpcService("booking-access", async (logger) => {
  // The key first: without it nothing could be written or read, so say so before serving anything.
  const { keyring, description } = patientDataKeyring();
  logger.info(`patient data is encrypted under ${description}`);
  const settings = dynamoDbSettingsFromEnv();
  const { client, documents } = createDynamoDbClients(settings);
  await prepareTable(client, settings);
  const access = createBookingAccess({ documents, tableName: settings.tableName, cipher: createPatientDataCipher(keyring) });
  return (router) => router.service(BookingAccessService, access);
});
