// The Ironic client: the only code in pulumi-metal3 that talks to Ironic.
export { IronicClient, REQUIRED_MICROVERSION, PREFERRED_MICROVERSION, compareMicroversions, negotiateMicroversion } from "./client";
export { IronicError, unwrapIronicFault } from "./errors";
export { IronicConnectionOptions, IronicAuthType, ResolvedConnection, resolveConnection } from "./connection";
export { WaitOptions, PROVISION_FAILURE_STATES, judgeProvisionState, judgePowerState } from "./wait";
export * from "./types";
