// Claiming hosts for Machines: selector semantics, candidate filtering, and the atomic claim
// through Ironic allocations. See docs/CLAIMS.md.
export * from "./selector";
export * from "./candidates";
export * from "./allocation";
