/**
 * Each system test that starts a whole system shifts every port of the topology by its own
 * offset (10 000 the shared system, 12 000 crash-and-restart, 14 000 start-failure, 16 000
 * late-provider, 18 000 the operator console's browser test), so that a
 * developer's `npm start` keeps running beside them. BP_TEST_PORT_SHIFT moves them all once more,
 * for a second checkout running its tests on the same machine at the same time.
 * Every port stays below 32768, where Linux picks ephemeral ports for outgoing connections.
 */
export function systemTestPortOffset(base: number): number {
  const shift = Number(process.env.BP_TEST_PORT_SHIFT ?? 0);
  if (!Number.isInteger(shift) || shift < 0 || shift > 1500)
    throw new Error(`BP_TEST_PORT_SHIFT=${process.env.BP_TEST_PORT_SHIFT}: a whole number 0–1500`);
  return base + shift;
}
