// What a dynamic-provider handler throws back to the engine. Pulumi's dynamic-provider host
// encodes the error itself: `message` becomes the error text, and `id` + `properties` + `reasons`
// (when `id` is set) an ErrorResourceInitFailed, i.e. "created, but not ready": the engine keeps
// the resource with those properties instead of forgetting it, and updates it on the next `up`.
// Anything else on the error object (a numeric `code`, a `cause` chain, getters) is at best
// ignored and at worst misread by gRPC, so every handler error leaves here as a plain Error.

/** Properties the dynamic host needs back in every recorded state: `__provider` (the serialized provider). */
export const PROVIDER_KEY = "__provider";

export interface PartialFailure {
    /** The resource's id (node UUID, allocation UUID). */
    id: string;
    /**
     * The outputs to record: the inputs as given (else the next diff sees them "changed" and
     * plans a replace) and what is known of the resource, plus `__provider`, without which the
     * dynamic host cannot load the provider to update or delete the resource later (it fails
     * with "code must be a string, not undefined").
     */
    properties: Record<string, unknown>;
}

function messageOf(e: unknown): string {
    if (e instanceof Error) return e.message || e.name || "unknown error";
    if (typeof e === "string") return e;
    try {
        return JSON.stringify(e) ?? String(e);
    } catch {
        return String(e);
    }
}

/**
 * The error to throw to the engine: a plain Error with a readable message; with `partial`, the
 * init-failure form that keeps the resource (and its inputs) in state.
 */
export function engineError(e: unknown, partial?: PartialFailure): Error {
    const message = messageOf(e);
    const err = new Error(message);
    if (e instanceof Error && e.stack) err.stack = e.stack;
    if (!partial) return err;
    // No undefined values: the host's protobuf Struct rejects them.
    const properties = JSON.parse(JSON.stringify(partial.properties)) as Record<string, unknown>;
    return Object.assign(err, { id: partial.id, properties, reasons: [message] });
}
