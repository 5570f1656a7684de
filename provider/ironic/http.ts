// The only place that speaks HTTP to Ironic (through undici). It adds auth, the microversion
// header and a timeout to every request, counts requests, unwraps Ironic's errors into
// IronicError, and retries what is safe to retry, with exponential back-off and jitter, bounded
// by a deadline:
//   - 409 "node is locked": Ironic refused the request before acting on it, so it is repeated;
//   - 503 and connection errors (Ironic restarting, a proxy or load balancer in front of it).
//     ECONNREFUSED means the request never arrived and is always retried. A 503 or any other
//     connection loss may come after Ironic acted (a proxy answers 503 when Ironic's answer is
//     late or lost), so a request that is not idempotent is only repeated after `recover` looked
//     and found it did not happen; when nobody can tell, the call fails saying so.

import { Dispatcher, request } from "undici";
import { AgentLease, leaseAgent } from "./agents";
import { ResolvedConnection } from "./connection";
import { IronicError, httpErrorMessage, isNodeLockedFault, unwrapIronicFault } from "./errors";

export const MICROVERSION_HEADER = "X-OpenStack-Ironic-API-Version";

/** Answer of `recover`: did the interrupted request take effect? */
export type RecoveryCheck<T> = { tookEffect: true; result: T } | { tookEffect: false } | { tookEffect: "unknown" };

export interface HttpRequestOptions<T = unknown> {
    body?: unknown;
    query?: Record<string, string | number | boolean | undefined>;
    /** Overrides the negotiated microversion for this one call. */
    microversion?: string;
    /** For messages: what we are doing, e.g. `get node N`. */
    operation?: string;
    node?: string;
    /** Default: true except for POST. Idempotent requests are simply repeated after a lost connection or a 503. */
    idempotent?: boolean;
    /** For non-idempotent requests: after a lost connection or a 503, look whether the request took effect. */
    recover?: () => Promise<RecoveryCheck<T>>;
    /** DELETE: a 404 after a lost connection or a 503 means our earlier attempt did it. */
    goneIsSuccess?: boolean;
}

export interface HttpResponse<T = any> {
    status: number;
    body: T;
    requestId?: string;
    /** How many HTTP attempts this call took (1 when nothing was retried). */
    attempts: number;
}

const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

export class IronicHttp {
    readonly stats = { requests: 0, retries: 0 };
    /** Negotiated microversion, sent on every request unless one is asked for. */
    microversion: string;
    /** Server's supported range, known after `GET /`. */
    serverMinVersion?: string;
    serverMaxVersion?: string;
    /** This client's hold on its endpoint's shared pool (agents.ts). */
    private readonly lease: AgentLease;
    private readonly authHeaders: Record<string, string>;

    constructor(
        readonly connection: ResolvedConnection,
        initialMicroversion: string,
    ) {
        this.microversion = initialMicroversion;
        this.lease = leaseAgent(connection);
        this.authHeaders = {};
        if (connection.authType === "http_basic") {
            const basic = Buffer.from(`${connection.username}:${connection.password}`).toString("base64");
            this.authHeaders.Authorization = `Basic ${basic}`;
        } else if (connection.authType === "token") {
            this.authHeaders["X-Auth-Token"] = connection.token!;
        }
    }

    /** Graceful: lets requests in flight finish. */
    async close(): Promise<void> {
        await this.lease.release();
    }

    /** Drops every connection at once (after a failed connect, nothing is worth waiting for). */
    async destroy(): Promise<void> {
        await this.lease.destroy();
    }

    /** Full URL for an API path (`/v1/nodes`) or for a `next` link Ironic returned. */
    urlFor(pathOrLink: string, query?: HttpRequestOptions["query"]): string {
        let path = pathOrLink;
        if (/^https?:\/\//.test(pathOrLink)) {
            // Ironic builds `next` links from its own idea of its address (which may be a proxy's
            // or another host name); keep only the API part and use the endpoint we were given.
            const link = new URL(pathOrLink);
            const at = link.pathname.indexOf("/v1");
            path = (at >= 0 ? link.pathname.slice(at) : link.pathname) + link.search;
        }
        let url = this.connection.url + path;
        const params = Object.entries(query ?? {}).filter(([, v]) => v !== undefined);
        if (params.length) {
            const search = new URLSearchParams(params.map(([k, v]): [string, string] => [k, String(v)]));
            url += (url.includes("?") ? "&" : "?") + search.toString();
        }
        return url;
    }

    async send<T = any>(method: string, path: string, opts: HttpRequestOptions<T> = {}): Promise<HttpResponse<T>> {
        const operation = opts.operation ?? `${method} ${path}`;
        const idempotent = opts.idempotent ?? method !== "POST";
        const deadline = Date.now() + this.connection.retryDeadlineMs;
        let attempt = 0;
        // An earlier attempt got no answer or a 503: it may have been carried out all the same.
        let mayHaveActed = false;
        /** Before repeating a request that is not idempotent: did the last attempt take effect? */
        const lookFirst = async (): Promise<RecoveryCheck<T>> =>
            idempotent ? { tookEffect: false } : opts.recover ? opts.recover() : { tookEffect: "unknown" };
        for (;;) {
            attempt++;
            let outcome: Attempt;
            try {
                outcome = await this.attempt(method, path, opts);
            } catch (err) {
                // An answer refused for its size: nothing a retry would change.
                if (err instanceof IronicError) throw Object.assign(err, { node: opts.node });
                // No HTTP answer at all.
                const code = connectionErrorCode(err);
                // A certificate Ironic's side will not fix by itself: no point retrying.
                if (isTlsVerificationError(code)) throw this.connectionError(operation, opts.node, err, attempt, false);
                const neverArrived = code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
                if (!neverArrived) {
                    mayHaveActed = true;
                    const check = await lookFirst();
                    if (check.tookEffect === true) return { status: 200, body: check.result, attempts: attempt };
                    if (check.tookEffect === "unknown") throw this.connectionError(operation, opts.node, err, attempt, true);
                }
                if (Date.now() + this.backoff(attempt) > deadline) throw this.connectionError(operation, opts.node, err, attempt, false);
                await this.pause(attempt);
                continue;
            }
            if (outcome.status < 400) {
                return { status: outcome.status, body: outcome.body as T, requestId: outcome.requestId, attempts: attempt };
            }
            if (outcome.status === 404 && opts.goneIsSuccess && mayHaveActed) {
                return { status: outcome.status, body: undefined as T, requestId: outcome.requestId, attempts: attempt };
            }
            const faultstring = unwrapIronicFault(outcome.body ?? outcome.text);
            // 409 "locked": refused before anything happened. 503: perhaps after (look first).
            const locked = isNodeLockedFault(outcome.status, faultstring);
            const unavailable = outcome.status === 503;
            let hint: string | undefined;
            if ((locked || unavailable) && Date.now() + this.backoff(attempt) <= deadline) {
                if (locked) {
                    await this.pause(attempt);
                    continue;
                }
                mayHaveActed = true;
                const check = await lookFirst();
                if (check.tookEffect === true) return { status: 200, body: check.result, requestId: outcome.requestId, attempts: attempt };
                if (check.tookEffect === false) {
                    await this.pause(attempt);
                    continue;
                }
                hint = `it may have taken effect before the 503 (e.g. from a proxy in front of Ironic) and pulumi-metal3 cannot tell; check the node before retrying`;
            } else if (outcome.status === 406 && this.serverMaxVersion && !/version range/i.test(faultstring ?? "")) {
                hint = `requested API microversion ${opts.microversion ?? this.microversion}; this Ironic supports ${this.serverMinVersion}–${this.serverMaxVersion}`;
            } else if (outcome.status === 401 || outcome.status === 403) {
                hint =
                    this.connection.authType === "none"
                        ? `this Ironic requires authentication: give username and password (http_basic) or a token`
                        : `auth type ${this.connection.authType}${this.connection.username ? ` as user "${this.connection.username}"` : ""}; check the credentials for ${this.connection.url}`;
            } else if (locked || unavailable) {
                hint = `still failing after ${attempt} attempts over ${Math.round(this.connection.retryDeadlineMs / 1000)} s`;
                if (unavailable && !idempotent) hint += `; the last attempt may have taken effect: check the node before retrying`;
            }
            throw new IronicError(httpErrorMessage(operation, outcome.status, faultstring, outcome.requestId, hint), {
                operation,
                node: opts.node,
                status: outcome.status,
                faultstring,
                requestId: outcome.requestId,
            });
        }
    }

    private async attempt(method: string, path: string, opts: HttpRequestOptions<any>): Promise<Attempt> {
        this.stats.requests++;
        const headers: Record<string, string> = {
            Accept: "application/json",
            "User-Agent": "pulumi-metal3",
            [MICROVERSION_HEADER]: opts.microversion ?? this.microversion,
            ...this.authHeaders,
        };
        let payload: string | undefined;
        if (opts.body !== undefined) {
            headers["Content-Type"] = "application/json";
            payload = JSON.stringify(opts.body);
        }
        const res = await request(this.urlFor(path, opts.query), {
            method: method as any,
            headers,
            body: payload,
            dispatcher: this.lease.agent,
            // Measured from when the request is on a connection (undici's headers/body timeouts),
            // not from when it was queued for one: with hundreds of hosts in flight the shared,
            // bounded pool (agents.ts) makes requests wait their turn, and a request timed out
            // while still queued would be reported as one that may have reached Ironic.
            headersTimeout: this.connection.timeoutMs,
            bodyTimeout: this.connection.timeoutMs,
        });
        const text = await readBounded(res, this.connection.maxResponseBytes, method, this.urlFor(path, opts.query), this.connection.source);
        let body: unknown;
        try {
            body = text ? JSON.parse(text) : undefined;
        } catch {
            body = undefined;
        }
        const rid = res.headers["x-openstack-request-id"] ?? res.headers["openstack-request-id"];
        return { status: res.statusCode, body, text, requestId: Array.isArray(rid) ? rid[0] : rid };
    }

    private backoff(attempt: number): number {
        return Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** (attempt - 1));
    }

    private async pause(attempt: number): Promise<void> {
        this.stats.retries++;
        // Full jitter on the upper half: spreads out clients that all hit the same locked node.
        const ms = this.backoff(attempt) * (0.5 + Math.random() * 0.5);
        await new Promise((resolve) => setTimeout(resolve, ms));
    }

    private connectionError(operation: string, node: string | undefined, err: unknown, attempts: number, mayHaveTakenEffect: boolean): IronicError {
        const code = connectionErrorCode(err) ?? (err as Error)?.name;
        const detail = `${(err as Error)?.message ?? String(err)}${code && !String((err as Error)?.message).includes(code) ? ` (${code})` : ""}`;
        let why = mayHaveTakenEffect
            ? `the connection was lost after the request was sent and it may have taken effect; check the node before retrying`
            : `gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} within ${Math.round(this.connection.retryDeadlineMs / 1000)} s`;
        if (isTlsVerificationError(code)) {
            why = this.connection.caFile
                ? `the server certificate does not verify against ${this.connection.caFile}`
                : `the server certificate is not trusted: give its CA (caFile / OS_CACERT / clouds.yaml cacert) or, for a lab only, insecure`;
        } else if (this.connection.url.startsWith("https:") && !this.connection.certFile && code === "UND_ERR_SOCKET") {
            why += `; if this Ironic requires a client certificate, give certFile and keyFile`;
        }
        return new IronicError(`${operation} failed: cannot reach Ironic at ${this.connection.url} (${this.connection.source}): ${detail}; ${why}`, {
            operation,
            node,
            cause: err,
        });
    }
}

/**
 * The answer's text, refused once it passes `maxBytes` (by its Content-Length, else while
 * reading): an endpoint that is not Ironic, or a hostile one, cannot make the provider buffer
 * gigabytes. The rest of the body is not read; the connection is dropped.
 */
async function readBounded(res: Dispatcher.ResponseData, maxBytes: number, method: string, url: string, source: string): Promise<string> {
    const tooLarge = (size: string) =>
        new IronicError(
            `${method} ${url} failed: the answer from ${source} is ${size}, more than the ${maxBytes} bytes pulumi-metal3 reads from Ironic; ` +
                `is this endpoint an Ironic API? (a list this large: narrow it)`,
            { operation: `${method} ${url}` },
        );
    const declared = Number(res.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxBytes) {
        res.body.destroy();
        throw tooLarge(`${declared} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
            res.body.destroy();
            throw tooLarge(`over ${maxBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
}

interface Attempt {
    status: number;
    body: unknown;
    text: string;
    requestId?: string;
}

export function isTlsVerificationError(code: string | undefined): boolean {
    return !!code && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_|HOSTNAME_MISMATCH/.test(code);
}

/** ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, ... from the error or its cause; "TIMEOUT" for our own timeout. */
export function connectionErrorCode(err: unknown): string | undefined {
    const e = err as { code?: string; name?: string; cause?: { code?: string } };
    if (e?.name === "TimeoutError" || e?.name === "AbortError" || e?.code === "UND_ERR_HEADERS_TIMEOUT" || e?.code === "UND_ERR_BODY_TIMEOUT") {
        return "TIMEOUT";
    }
    return e?.code ?? e?.cause?.code;
}
