// The one error type for everything that goes wrong talking to Ironic: HTTP errors, connection
// failures, unsupported microversions and failed waits. Its `message` is written for an operator:
// what we were doing, to which node, what Ironic said, and how to find the request in Ironic's log.

export interface IronicErrorDetails {
    operation: string;
    node?: string;
    status?: number;
    faultstring?: string;
    requestId?: string;
    provisionState?: string;
    lastError?: string;
    /** Underlying connection/TLS error, when there was no HTTP answer. */
    cause?: unknown;
}

export class IronicError extends Error {
    /** HTTP status, when Ironic answered. */
    readonly status?: number;
    /** Ironic's own explanation (unwrapped from `error_message`). */
    readonly faultstring?: string;
    /** `x-openstack-request-id` / `openstack-request-id`, to grep Ironic's log. */
    readonly requestId?: string;
    /** What the client was doing, e.g. `set provision state "provide" on node N`. */
    readonly operation: string;
    /** The node (name or UUID) concerned, when there is one. */
    readonly node?: string;
    readonly provisionState?: string;
    readonly lastError?: string;

    constructor(message: string, details: IronicErrorDetails) {
        super(message);
        this.name = "IronicError";
        this.operation = details.operation;
        this.node = details.node;
        this.status = details.status;
        this.faultstring = details.faultstring;
        this.requestId = details.requestId;
        this.provisionState = details.provisionState;
        this.lastError = details.lastError;
        if (details.cause !== undefined) (this as { cause?: unknown }).cause = details.cause;
    }
}

/**
 * Ironic wraps its message as a JSON *string* inside `error_message`, e.g.
 * `{"error_message": "{\"faultcode\": \"Client\", \"faultstring\": \"Node x could not be found.\"}"}`;
 * microversion rejections use `{"code","title","description"}` inside it instead, and the
 * http_basic middleware `{"error": {"message"}}`.
 * Returns the human sentence, whatever the wrapping.
 */
export function unwrapIronicFault(body: unknown): string | undefined {
    let value: unknown = body;
    if (typeof value === "string") value = tryParseJson(value) ?? value;
    if (value && typeof value === "object" && "error_message" in value) {
        value = (value as { error_message: unknown }).error_message;
        if (typeof value === "string") value = tryParseJson(value) ?? value;
    }
    // Ironic's http_basic middleware answers `{"error": {"message": "...", "code": 401}}`.
    if (value && typeof value === "object" && "error" in value && typeof (value as { error: unknown }).error === "object") {
        value = (value as { error: unknown }).error;
    }
    if (typeof value === "string") return value.trim() || undefined;
    if (value && typeof value === "object") {
        const v = value as Record<string, unknown>;
        const sentence = v.faultstring ?? v.description ?? v.message ?? v.title;
        if (typeof sentence === "string" && sentence.trim()) return sentence.trim();
    }
    return undefined;
}

function tryParseJson(text: string): unknown {
    const trimmed = text.trim();
    if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return undefined;
    try {
        return JSON.parse(trimmed);
    } catch {
        return undefined;
    }
}

const STATUS_TEXT: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    406: "Not Acceptable",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
};

/** `<operation> failed: HTTP 400 Bad Request: <faultstring> [request req-...]` */
export function httpErrorMessage(operation: string, status: number, faultstring?: string, requestId?: string, hint?: string): string {
    const statusText = STATUS_TEXT[status] ? ` ${STATUS_TEXT[status]}` : "";
    let message = `${operation} failed: Ironic answered HTTP ${status}${statusText}`;
    if (faultstring) message += `: ${publicErrorText(faultstring)}`;
    if (hint) message += ` (${hint})`;
    if (requestId) message += ` [request ${requestId}]`;
    return message;
}

/** True for "the node is busy with another operation, try again" (NodeLocked). */
export function isNodeLockedFault(status: number | undefined, faultstring: string | undefined): boolean {
    return status === 409 && !!faultstring && /locked|NodeLocked|please retry/i.test(faultstring);
}

/**
 * True when the failure (or one it wraps, through `cause`) is "no HTTP answer from Ironic": asking
 * Ironic again right away would only wait out the client's retry window a second time.
 */
export function isUnreachable(e: unknown): boolean {
    for (let cur = e, depth = 0; cur && typeof cur === "object" && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
        if (cur instanceof IronicError && cur.status === undefined && (cur as { cause?: unknown }).cause !== undefined) return true;
    }
    return false;
}

/** Longest error text copied into an output (errorMessage) or a message from Ironic's words. */
export const MAX_ERROR_TEXT = 2000;

/** Shapes in which a credential shows up in error text (driver_info dumps, URLs, headers). */
const CREDENTIAL_SHAPES: Array<[RegExp, string]> = [
    // scheme://user:password@host
    [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, "$1***@"],
    // 'ipmi_password': 'x', "redfish_password": "x", password=x, token: x, passwd=...
    [/((?:["']?[\w-]*(?:password|passwd|token|secret)[\w-]*["']?)\s*[:=]\s*)(["'])(?:(?!\2).)*\2/gi, "$1$2***$2"],
    [/((?:[\w-]*(?:password|passwd|token|secret)[\w-]*)\s*[:=]\s*)(?!["'*])[^\s,;&)}\]]+/gi, "$1***"],
    // Authorization: Basic xxx / Bearer xxx, X-Auth-Token: xxx
    [/(authorization\s*[:=]\s*["']?(?:basic|bearer)\s+)[A-Za-z0-9+/=._-]+/gi, "$1***"],
];

/**
 * Error text fit for a plain (not secret) output or message: the known `secrets` and anything
 * shaped like a credential masked, and at most `max` characters (the rest is in Ironic: the
 * node's last_error, or its log under the request id). Pure.
 */
export function publicErrorText(text: string | null | undefined, secrets: ReadonlyArray<string | undefined> = [], max = MAX_ERROR_TEXT): string {
    if (!text) return "";
    let out = text;
    for (const secret of secrets) if (secret && secret.length >= 3) out = out.split(secret).join("***");
    for (const [shape, mask] of CREDENTIAL_SHAPES) out = out.replace(shape, mask);
    if (out.length <= max) return out;
    return `${out.slice(0, max)}… (${out.length - max} more characters; the whole text is in Ironic: the node's last_error or its log)`;
}
