// Where the Ironic endpoint, credentials and TLS settings come from. Precedence: explicit options
// (and the cloud named by `options.cloud` in clouds.yaml) → environment (OS_ENDPOINT / IRONIC_URL,
// OS_AUTH_TYPE, OS_USERNAME, OS_PASSWORD, OS_TOKEN, OS_CACERT, OS_CERT, OS_KEY, OS_INSECURE) → the
// cloud named by OS_CLOUD. Credentials and TLS settings are only taken from explicit options or
// from the same source as the endpoint: a password meant for the Ironic in OS_ENDPOINT is never
// sent to a URL given some other way. clouds.yaml is searched where openstacksdk and the
// `baremetal` CLI look for it, so an operator's existing setup just works.

import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { IronicError } from "./errors";

export type IronicAuthType = "none" | "http_basic" | "token";

export interface IronicConnectionOptions {
    url?: string;
    authType?: IronicAuthType;
    username?: string;
    password?: string;
    token?: string;
    /** A cloud in clouds.yaml (as OS_CLOUD). */
    cloud?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    /** Skip TLS verification (clouds.yaml `verify: false`). */
    insecure?: boolean;
    /**
     * Send credentials over plain http:// to an Ironic that is not on loopback. Refused otherwise
     * (anyone on the path reads a basic-auth password or a token); also PULUMI_METAL3_IRONIC_ALLOW_INSECURE_HTTP=true.
     */
    allowInsecureHttp?: boolean;
    /** Where these options come from, for messages (default "options"), e.g. "stack config pulumi-metal3:ironic*". */
    source?: string;
    /** Bound on each HTTP request (default 30 s). */
    timeoutMs?: number;
    /**
     * Bound on retrying a locked node / unreachable Ironic (default 60 s, or
     * PULUMI_METAL3_IRONIC_RETRY_SECONDS from the environment).
     */
    retryDeadlineMs?: number;
    /**
     * At most this many connections to this Ironic from the process (default 64, or
     * PULUMI_METAL3_IRONIC_MAX_CONNECTIONS): clients of one endpoint share one bounded pool
     * (agents.ts), so hundreds of hosts at once queue in the provider instead of overflowing
     * Ironic's accept queue.
     */
    maxConnections?: number;
    /** Largest answer read from Ironic, in bytes (default 64 MiB); a larger one is refused, not buffered. */
    maxResponseBytes?: number;
    /** Most pages one list follows through Ironic's `next` links (default 1000). */
    maxListPages?: number;
}

export interface ResolvedConnection {
    /** Base URL without trailing slash and without `/v1`, e.g. http://127.0.0.1:6385 */
    url: string;
    authType: IronicAuthType;
    username?: string;
    password?: string;
    token?: string;
    caFile?: string;
    certFile?: string;
    keyFile?: string;
    insecure: boolean;
    /** What the operator must be told on every run: TLS verification off, credentials over plain http. */
    warnings: string[];
    timeoutMs: number;
    retryDeadlineMs: number;
    maxConnections: number;
    maxResponseBytes: number;
    maxListPages: number;
    /** Where the URL came from, for error messages ("options", "OS_ENDPOINT", "clouds.yaml cloud X (path)"). */
    source: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRY_DEADLINE_MS = 60_000;
/** A page of 1000 full nodes is a few MB; 64 MiB bounds what a wrong or hostile endpoint makes the provider hold. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** 1000 pages of Ironic's default 1000 rows: a million nodes. Beyond that a `next` chain is a loop or an attack. */
export const DEFAULT_MAX_LIST_PAGES = 1000;
/** Connections to one Ironic from one process, at most (agents.ts). */
export const DEFAULT_MAX_CONNECTIONS = 64;
/** Environment override of that bound. */
export const MAX_CONNECTIONS_ENV = "PULUMI_METAL3_IRONIC_MAX_CONNECTIONS";
/** Environment override of the retry window, in seconds: how long an Ironic outage is ridden out before an operation fails. */
export const RETRY_SECONDS_ENV = "PULUMI_METAL3_IRONIC_RETRY_SECONDS";
/** Environment override of the bound on each HTTP request, in seconds (a slow link or a loaded Ironic). */
export const TIMEOUT_SECONDS_ENV = "PULUMI_METAL3_IRONIC_TIMEOUT_SECONDS";
/** Environment opt-in to credentials over plain http:// to a non-loopback Ironic (as the allowInsecureHttp option). */
export const ALLOW_INSECURE_HTTP_ENV = "PULUMI_METAL3_IRONIC_ALLOW_INSECURE_HTTP";

/** Whether a URL's host is this machine's loopback (127.0.0.0/8, ::1, localhost): traffic there never leaves the machine. */
export function isLoopbackUrl(url: string): boolean {
    let host: string;
    try {
        host = new URL(url).hostname.toLowerCase();
    } catch {
        return false;
    }
    return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function countFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
        throw new IronicError(`${OPERATION} failed: ${name}="${raw}" is not a whole number of connections (1 or more)`, { operation: OPERATION });
    }
    return n;
}

function millisecondsFromEnv(env: NodeJS.ProcessEnv, name: string, opts: { positive?: boolean } = {}): number | undefined {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || seconds < 0) {
        throw new IronicError(`${OPERATION} failed: ${name}="${raw}" is not a number of seconds`, { operation: OPERATION });
    }
    // undici reads a timeout of 0 as "no timeout": a request to a hung Ironic would then wait forever.
    if (opts.positive && seconds === 0) {
        throw new IronicError(
            `${OPERATION} failed: ${name}="${raw}": a request timeout must be more than 0 seconds (0 would disable it; default ${DEFAULT_TIMEOUT_MS / 1000})`,
            {
                operation: OPERATION,
            },
        );
    }
    return seconds * 1000;
}

type Layer = Partial<
    Omit<ResolvedConnection, "timeoutMs" | "retryDeadlineMs" | "maxConnections" | "maxResponseBytes" | "maxListPages" | "source" | "warnings">
> & {
    source: string;
};

const OPERATION = "resolve the Ironic connection";

export function resolveConnection(options: IronicConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
    const layers: Layer[] = [fromOptions(options)];
    if (options.cloud) layers.push(fromCloudsYaml(options.cloud, env));
    if (!layers.some((l) => l.url)) {
        const fromEnvironment = fromEnv(env);
        // IRONIC_URL naming the very endpoint of the OS_CLOUD cloud is the same Ironic twice, as
        // `pulumi-metal3 ironic start` prints it (IRONIC_URL, OS_CLIENT_CONFIG_FILE, OS_CLOUD):
        // the cloud then gives the connection, its credentials going to its own endpoint only.
        const sameCloud = !options.cloud && !env.OS_ENDPOINT && env.IRONIC_URL && env.OS_CLOUD ? cloudAtUrl(env.OS_CLOUD, env.IRONIC_URL, env) : undefined;
        if (sameCloud) {
            layers.push({ ...fromEnvironment, url: undefined }, sameCloud);
        } else {
            layers.push(fromEnvironment);
            // OS_CLOUD is only read when nothing closer names an endpoint.
            if (!fromEnvironment.url && !options.cloud && env.OS_CLOUD) layers.push(fromCloudsYaml(env.OS_CLOUD, env));
        }
    }

    const pick = <K extends keyof Layer>(key: K): { value: Layer[K]; source?: string } => {
        for (const layer of layers) if (layer[key] !== undefined && layer[key] !== "") return { value: layer[key], source: layer.source };
        return { value: undefined as Layer[K] };
    };

    const url = pick("url");
    if (!url.value) {
        throw new IronicError(
            `${OPERATION} failed: no Ironic endpoint given. Pass the url option, set OS_ENDPOINT (or IRONIC_URL), ` +
                `or set OS_CLOUD to a cloud in clouds.yaml that has auth.endpoint or baremetal_endpoint_override`,
            { operation: OPERATION },
        );
    }
    const username = pick("username").value;
    const password = pick("password").value;
    const token = pick("token").value;
    const authType = pick("authType").value ?? (token ? "token" : username && password ? "http_basic" : "none");
    if (authType === "http_basic" && (!username || password === undefined)) {
        throw new IronicError(`${OPERATION} failed: auth type http_basic needs a username and a password (OS_USERNAME / OS_PASSWORD)`, {
            operation: OPERATION,
        });
    }
    if (authType === "token" && !token) {
        throw new IronicError(`${OPERATION} failed: auth type token needs a token (OS_TOKEN)`, { operation: OPERATION });
    }
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
        throw new IronicError(`${OPERATION} failed: timeoutMs must be more than 0 (0 would disable the request timeout)`, { operation: OPERATION });
    }
    const insecure = pick("insecure");
    const resolved: ResolvedConnection = {
        url: normalizeEndpoint(url.value),
        authType,
        username: authType === "http_basic" ? username : undefined,
        password: authType === "http_basic" ? password : undefined,
        token: authType === "token" ? token : undefined,
        caFile: pick("caFile").value,
        certFile: pick("certFile").value,
        keyFile: pick("keyFile").value,
        insecure: insecure.value ?? false,
        warnings: [],
        timeoutMs: options.timeoutMs ?? millisecondsFromEnv(env, TIMEOUT_SECONDS_ENV, { positive: true }) ?? DEFAULT_TIMEOUT_MS,
        retryDeadlineMs: options.retryDeadlineMs ?? millisecondsFromEnv(env, RETRY_SECONDS_ENV) ?? DEFAULT_RETRY_DEADLINE_MS,
        maxConnections: options.maxConnections ?? countFromEnv(env, MAX_CONNECTIONS_ENV) ?? DEFAULT_MAX_CONNECTIONS,
        maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        maxListPages: options.maxListPages ?? DEFAULT_MAX_LIST_PAGES,
        source: url.source ?? "options",
    };
    const sendsCredentials = resolved.authType !== "none" || !!resolved.certFile;
    if (resolved.url.startsWith("http:") && !isLoopbackUrl(resolved.url) && sendsCredentials) {
        const allowed = options.allowInsecureHttp === true || /^(1|true|yes)$/i.test(env[ALLOW_INSECURE_HTTP_ENV] ?? "");
        if (!allowed) {
            throw new IronicError(
                `${OPERATION} failed: refusing to send Ironic credentials (auth type ${resolved.authType}) over plain http:// to ${resolved.url} (from ${resolved.source}), ` +
                    `which is not on this machine: anyone on the path can read them. Use https:// (caFile for a private CA), or, knowing this, ` +
                    `set allowInsecureHttp: true (resource ironic.allowInsecureHttp, stack config pulumi-metal3:ironicAllowInsecureHttp, or ${ALLOW_INSECURE_HTTP_ENV}=true)`,
                { operation: OPERATION },
            );
        }
        resolved.warnings.push(
            `Ironic credentials (auth type ${resolved.authType}) go over plain http:// to ${resolved.url} (from ${resolved.source}): allowInsecureHttp is set`,
        );
    }
    if (resolved.insecure && resolved.url.startsWith("https:")) {
        resolved.warnings.push(
            `TLS certificate verification of Ironic at ${resolved.url} is OFF (insecure, from ${insecureWhere(insecure.source ?? resolved.source)}): any server on the path can pose as Ironic and read the credentials and BMC passwords sent to it; give its CA (caFile) instead`,
        );
    }
    for (const [what, file] of [
        ["CA file", resolved.caFile],
        ["client certificate", resolved.certFile],
        ["client key", resolved.keyFile],
    ] as const) {
        if (file && !fs.existsSync(file)) {
            throw new IronicError(`${OPERATION} failed: ${what} ${file} does not exist (from ${resolved.source})`, { operation: OPERATION });
        }
    }
    if (!!resolved.certFile !== !!resolved.keyFile) {
        throw new IronicError(`${OPERATION} failed: a client certificate needs both certFile and keyFile`, { operation: OPERATION });
    }
    return resolved;
}

/** Which setting turned verification off, in the operator's words. */
function insecureWhere(layerSource: string): string {
    if (/^(OS_ENDPOINT|IRONIC_URL|the environment)/.test(layerSource)) return "OS_INSECURE";
    if (layerSource.startsWith("clouds.yaml")) return `verify: false / insecure: true of ${layerSource}`;
    return layerSource;
}

/** `http://h:6385/`, `http://h:6385/v1` and `http://h:6385/v1/` all mean the same Ironic. */
export function normalizeEndpoint(url: string): string {
    let u = url.trim().replace(/\/+$/, "");
    if (u.endsWith("/v1")) u = u.slice(0, -3);
    if (!/^https?:\/\//.test(u)) {
        throw new IronicError(`${OPERATION} failed: Ironic endpoint "${url}" is not an http(s) URL`, { operation: OPERATION });
    }
    return u;
}

function fromOptions(o: IronicConnectionOptions): Layer {
    return {
        source: o.source ?? "options",
        url: o.url,
        authType: o.authType,
        username: o.username,
        password: o.password,
        token: o.token,
        caFile: o.caFile,
        certFile: o.certFile,
        keyFile: o.keyFile,
        insecure: o.insecure,
    };
}

function fromEnv(env: NodeJS.ProcessEnv): Layer {
    return {
        source: env.OS_ENDPOINT ? "OS_ENDPOINT" : env.IRONIC_URL ? "IRONIC_URL" : "the environment (OS_*)",
        url: env.OS_ENDPOINT || env.IRONIC_URL,
        authType: parseAuthType(env.OS_AUTH_TYPE, "OS_AUTH_TYPE"),
        username: env.OS_USERNAME,
        password: env.OS_PASSWORD,
        token: env.OS_TOKEN,
        caFile: env.OS_CACERT,
        certFile: env.OS_CERT,
        keyFile: env.OS_KEY,
        insecure: env.OS_INSECURE === undefined ? undefined : /^(1|true|yes)$/i.test(env.OS_INSECURE),
    };
}

function parseAuthType(value: string | undefined, where: string): IronicAuthType | undefined {
    if (!value) return undefined;
    if (value === "none" || value === "noauth") return "none";
    if (value === "http_basic") return "http_basic";
    if (value === "token" || value === "admin_token") return "token";
    throw new IronicError(
        `${OPERATION} failed: ${where} is "${value}"; pulumi-metal3 talks to Ironic directly and supports auth types none, http_basic and token ` +
            `(Keystone authentication is not supported: use the baremetal endpoint with one of those)`,
        { operation: OPERATION },
    );
}

/** Where clouds.yaml is looked for, first found wins (OS_CLIENT_CONFIG_FILE, then openstacksdk's order). */
export function cloudsYamlCandidates(env: NodeJS.ProcessEnv): string[] {
    const home = env.HOME || os.homedir();
    return [
        ...(env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE] : []),
        path.resolve("clouds.yaml"),
        path.join(home, ".config", "openstack", "clouds.yaml"),
        "/etc/openstack/clouds.yaml",
    ];
}

/** The OS_CLOUD cloud when its endpoint is `url` (a missing or unreadable cloud: undefined, IRONIC_URL alone then as before). */
function cloudAtUrl(cloudName: string, url: string, env: NodeJS.ProcessEnv): Layer | undefined {
    try {
        const cloud = fromCloudsYaml(cloudName, env);
        return cloud.url && normalizeEndpoint(cloud.url) === normalizeEndpoint(url) ? cloud : undefined;
    } catch {
        return undefined;
    }
}

function fromCloudsYaml(cloudName: string, env: NodeJS.ProcessEnv): Layer {
    const candidates = cloudsYamlCandidates(env);
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) {
        throw new IronicError(`${OPERATION} failed: cloud "${cloudName}" requested but no clouds.yaml found (looked in ${candidates.join(", ")})`, {
            operation: OPERATION,
        });
    }
    let doc: any;
    try {
        doc = yaml.load(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new IronicError(`${OPERATION} failed: cannot read ${file}: ${(err as Error).message}`, { operation: OPERATION, cause: err });
    }
    const cloud = doc?.clouds?.[cloudName];
    if (!cloud || typeof cloud !== "object") {
        const known = Object.keys(doc?.clouds ?? {}).join(", ") || "none";
        throw new IronicError(`${OPERATION} failed: cloud "${cloudName}" is not in ${file} (clouds there: ${known})`, { operation: OPERATION });
    }
    const auth = cloud.auth ?? {};
    const source = `clouds.yaml cloud "${cloudName}" (${file})`;
    const verify = cloud.verify;
    return {
        source,
        url: cloud.baremetal_endpoint_override ?? auth.endpoint,
        authType: parseAuthType(cloud.auth_type, `auth_type of ${source}`),
        username: auth.username,
        password: auth.password === undefined ? undefined : String(auth.password),
        token: auth.token,
        caFile: cloud.cacert,
        certFile: cloud.cert,
        keyFile: cloud.key,
        insecure: cloud.insecure === true || verify === false ? true : verify === true || cloud.insecure === false ? false : undefined,
    };
}
