import type { Client } from "@connectrpc/connect";
import type { OnboardingManagerService } from "../../managers/onboarding/v1/onboarding_manager_pb.js";

/** The manager the admin API calls (provider onboarding). */
export type OnboardingManagerClient = Client<typeof OnboardingManagerService>;
