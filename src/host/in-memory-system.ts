import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DescService } from "@bufbuild/protobuf";
import { createClient, createRouterTransport, type ServiceImpl, type Transport } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";
import { createBookingAccess } from "../access/booking/booking-access.js";
import { createPatientDataCipher, rawAesKeyring } from "../access/booking/private/patient-data-cipher.js";
import { readPatientDataKeyFile } from "../access/booking/private/patient-data-keys.js";
import { BookingAccessService } from "../access/booking/v1/booking_access_pb.js";
import { createCatalogAccess } from "../access/catalog/catalog-access.js";
import { CatalogAccessService } from "../access/catalog/v1/catalog_access_pb.js";
import type { ProviderInstanceConfig } from "../access/provider/adapter.js";
import { adapterRegistry } from "../access/provider/adapter-registry.js";
import { createInstanceStore } from "../access/provider/instance-store.js";
import { createCredentialResolver } from "../access/provider/private/credentials.js";
import { createProviderAccess } from "../access/provider/provider-access.js";
import { ProviderAccessService } from "../access/provider/v1/provider_access_pb.js";
import type { OAuthSettings } from "../client/api/auth/authenticate.js";
import { buildApi } from "../client/api/build-api.js";
import { createAvailabilityEngine } from "../engines/availability/availability-engine.js";
import { AvailabilityEngineService } from "../engines/availability/v1/availability_engine_pb.js";
import { createReservationEngine } from "../engines/reservation/reservation-engine.js";
import { ReservationEngineService } from "../engines/reservation/v1/reservation_engine_pb.js";
import { createBookingManager } from "../managers/booking/booking-manager.js";
import { BookingManagerService } from "../managers/booking/v1/booking_manager_pb.js";
import { createOnboardingManager } from "../managers/onboarding/onboarding-manager.js";
import { OnboardingManagerService } from "../managers/onboarding/v1/onboarding_manager_pb.js";
import { ErrorReason, hasReason } from "../utilities/errors/platform-error.js";
import { createLogger } from "../utilities/logging/logger.js";
import { createApiKeyStore } from "../utilities/security/api-key-store.js";
import type { Scope } from "../utilities/security/api-keys.js";
import { createPatientIds } from "../utilities/security/patient-id.js";
import { createSlotTokens } from "../utilities/security/slot-token.js";
import { tracingClientInterceptor, tracingServerInterceptor } from "../utilities/telemetry/grpc-tracing.js";

export interface InMemorySystemOptions {
  documents: DynamoDBDocumentClient;
  tableName: string;
  providers: ProviderInstanceConfig[];
  slotTokenSecret: string;
  patientIdSecret: string;
  /** The key file booking access encrypts patient data with (tests make a temporary one). */
  patientDataKeyFile: string;
  holdSeconds?: number;
  providerTimeoutMs?: number;
  /** How old a cached availability answer may be (provider access); 0 turns caching off, the API's answers included. */
  availabilityCacheSeconds?: number;
  providerDeadlineMs?: number;
  now?: () => Date;
  /** OAuth2 client-credential tokens accepted beside API keys. */
  oauth?: OAuthSettings;
  /** Requests a minute per client and scope; by default so high that only tests of the limits meet them. */
  rateLimits?: Record<Scope | "open", number>;
  /** Refused credentials an address may send a minute; by default out of reach, as above. */
  maxFailuresPerMinute?: number;
  /**
   * The environment provider access reads instances' secrets from (credentials by reference). The
   * `providers` given with a literal apiKey are stored with a reference to a variable made up here.
   */
  providerEnv?: Record<string, string>;
}

/** One service behind its own in-memory transport, traced on both sides like a real gRPC hop. */
function serve<T extends DescService>(service: T, impl: ServiceImpl<T>): Transport {
  return createRouterTransport(({ service: register }) => register(service, impl), {
    transport: { interceptors: [tracingClientInterceptor] },
    router: { interceptors: [tracingServerInterceptor] },
  });
}

/**
 * The whole system in one process: the same service implementations as the
 * separate processes, each behind its own in-memory gRPC transport
 * (createRouterTransport), so every call still goes through the contract,
 * serialization included. The fast path for integration tests and debugging.
 */
export async function composeInMemorySystem(options: InMemorySystemOptions) {
  const catalogAccess = createClient(
    CatalogAccessService,
    serve(CatalogAccessService, createCatalogAccess({ documents: options.documents, tableName: options.tableName })),
  );
  const bookingAccess = createClient(
    BookingAccessService,
    serve(
      BookingAccessService,
      createBookingAccess({
        documents: options.documents,
        tableName: options.tableName,
        cipher: createPatientDataCipher(rawAesKeyring(readPatientDataKeyFile(options.patientDataKeyFile))),
        now: options.now,
      }),
    ),
  );
  // Provider instances are data, as in every deployment: the given ones are registered in the table (their
  // literal test keys kept in provider access's own environment, the table naming only the variable).
  const instances = createInstanceStore({ documents: options.documents, tableName: options.tableName });
  const providerEnv: Record<string, string> = { ...options.providerEnv };
  for (const provider of options.providers) {
    const env = provider.apiKey ? `BP_TEST_KEY_${provider.id.toUpperCase().replace(/[^A-Z0-9]/g, "_")}` : undefined;
    if (env && provider.apiKey) providerEnv[env] = provider.apiKey;
    await instances
      .register({
        id: provider.id,
        adapter: provider.adapter,
        baseUrl: provider.baseUrl,
        credentials: env ? { env } : {},
        timeZone: provider.timeZone,
        resilience: provider.resilience,
        options: provider.options,
      })
      .catch((error: unknown) => {
        if (!hasReason(error, ErrorReason.PROVIDER_INSTANCE_EXISTS)) throw error;
      });
  }
  const providerAccess = createClient(
    ProviderAccessService,
    serve(
      ProviderAccessService,
      createProviderAccess({
        store: instances,
        credentials: createCredentialResolver({ env: providerEnv }),
        adapters: adapterRegistry,
        timeoutMs: options.providerTimeoutMs,
        log: createLogger("provider-access", { level: process.env.LOG_LEVEL ?? "silent" }),
        availabilityCacheSeconds: options.availabilityCacheSeconds,
        now: options.now ? () => options.now!().getTime() : undefined,
      }),
    ),
  );
  const availabilityEngine = createClient(
    AvailabilityEngineService,
    serve(
      AvailabilityEngineService,
      createAvailabilityEngine({
        providerAccess,
        slotTokens: createSlotTokens(options.slotTokenSecret),
        now: options.now,
        providerDeadlineMs: options.providerDeadlineMs,
      }),
    ),
  );
  const reservationEngine = createClient(
    ReservationEngineService,
    serve(ReservationEngineService, createReservationEngine({ holdSeconds: options.holdSeconds })),
  );
  const bookingManager = createClient(
    BookingManagerService,
    serve(
      BookingManagerService,
      createBookingManager({
        catalogAccess,
        bookingAccess,
        providerAccess,
        availabilityEngine,
        reservationEngine,
        patientId: createPatientIds(options.patientIdSecret),
        // Quiet in tests unless asked: compensations log warnings that are part of what is tested.
        log: createLogger("booking-manager", { level: process.env.LOG_LEVEL ?? "silent" }),
        now: options.now,
      }),
    ),
  );
  const onboardingManager = createClient(
    OnboardingManagerService,
    serve(
      OnboardingManagerService,
      createOnboardingManager({
        providerAccess,
        catalogAccess,
        log: createLogger("onboarding-manager", { level: process.env.LOG_LEVEL ?? "silent" }),
      }),
    ),
  );
  // Every problem the API answers that its operation's schema does not declare: the OpenAPI document would lie. Tests assert none.
  const undeclaredProblems: string[] = [];
  const apiKeys = createApiKeyStore(options.documents, options.tableName);
  const api: FastifyInstance = await buildApi({
    bookingManager,
    onboardingManager,
    // No cache here: a test that revokes a key sees it refused at once.
    authentication: { apiKeys, oauth: options.oauth, maxFailuresPerMinute: options.maxFailuresPerMinute ?? 1_000_000 },
    rateLimits: options.rateLimits ?? {
      "availability:read": 1e6,
      "reservations:read": 1e6,
      "reservations:write": 1e6,
      admin: 1e6,
      open: 1e6,
    },
    logger: false,
    // Caching off below (availabilityCacheSeconds: 0) means off here too: every search reaches the providers.
    ...(options.availabilityCacheSeconds === 0 ? { availabilityMaxAgeSeconds: 0 } : {}),
    onUndeclaredProblem: (operation, problem) => undeclaredProblems.push(`${operation}: ${problem}`),
  });
  return {
    api,
    apiKeys,
    documents: options.documents,
    undeclaredProblems,
    clients: { catalogAccess, bookingAccess, providerAccess, availabilityEngine, reservationEngine, bookingManager, onboardingManager },
  };
}
