/** What the onboarding tests' own FHIR servers accept; provider access has it as BP_ONBOARDING_TEST_FHIR_TOKEN (global-setup.ts). */
export const onboardingFhirToken = "onboarding-test-fhir-token";
export const onboardingFhirTokenVariable = "BP_ONBOARDING_TEST_FHIR_TOKEN";
