// The Ironic client: the only code in pulumi-metal3 that talks to Ironic.
//
//   const ironic = await IronicClient.connect({ url });        // or options → env → clouds.yaml
//   await ironic.setProvisionState(id, "provide");
//   await ironic.waitForProvisionState(id, "available", { timeoutMs, label: "provision host ns~h" });
//
// Layout: types.ts (Ironic's resources, Ironic's field names), connection.ts (endpoint/auth/TLS
// resolution), http.ts (undici, microversion header, retries, error unwrapping), errors.ts
// (IronicError), wait.ts (the one polling family), client.ts (one method per Ironic action).
export { IronicClient, REQUIRED_MICROVERSION, PREFERRED_MICROVERSION, compareMicroversions, negotiateMicroversion } from "./client";
export { IronicError, isUnreachable, unwrapIronicFault } from "./errors";
export { IronicConnectionOptions, IronicAuthType, ResolvedConnection, resolveConnection } from "./connection";
export { WaitOptions, PROVISION_FAILURE_STATES, judgeProvisionState, judgePowerState, judgeAllocation } from "./wait";
export * from "./types";
