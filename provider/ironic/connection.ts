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
    timeoutMs: number;
    retryDeadlineMs: number;
    maxConnections: number;
    /** Where the URL came from, for error messages ("options", "OS_ENDPOINT", "clouds.yaml cloud X (path)"). */
    source: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRY_DEADLINE_MS = 60_000;
/** Connections to one Ironic from one process, at most (agents.ts). */
export const DEFAULT_MAX_CONNECTIONS = 64;
/** Environment override of that bound. */
export const MAX_CONNECTIONS_ENV = "PULUMI_METAL3_IRONIC_MAX_CONNECTIONS";
/** Environment override of the retry window, in seconds: how long an Ironic outage is ridden out before an operation fails. */
export const RETRY_SECONDS_ENV = "PULUMI_METAL3_IRONIC_RETRY_SECONDS";
/** Environment override of the bound on each HTTP request, in seconds (a slow link or a loaded Ironic). */
export const TIMEOUT_SECONDS_ENV = "PULUMI_METAL3_IRONIC_TIMEOUT_SECONDS";

function countFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
        throw new IronicError(`${OPERATION} failed: ${name}="${raw}" is not a whole number of connections (1 or more)`, { operation: OPERATION });
    }
    return n;
}

function millisecondsFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    const seconds = Number(raw);
    if (!Number.isFinite(seconds) || seconds < 0) {
        throw new IronicError(`${OPERATION} failed: ${name}="${raw}" is not a number of seconds`, { operation: OPERATION });
    }
    return seconds * 1000;
}

type Layer = Partial<Omit<ResolvedConnection, "timeoutMs" | "retryDeadlineMs" | "maxConnections" | "source">> & { source: string };

const OPERATION = "resolve the Ironic connection";

export function resolveConnection(options: IronicConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
    const layers: Layer[] = [fromOptions(options)];
    if (options.cloud) layers.push(fromCloudsYaml(options.cloud, env));
    if (!layers.some((l) => l.url)) {
        const fromEnvironment = fromEnv(env);
        layers.push(fromEnvironment);
        // OS_CLOUD is only read when nothing closer names an endpoint.
        if (!fromEnvironment.url && !options.cloud && env.OS_CLOUD) layers.push(fromCloudsYaml(env.OS_CLOUD, env));
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
    const resolved: ResolvedConnection = {
        url: normalizeEndpoint(url.value),
        authType,
        username: authType === "http_basic" ? username : undefined,
        password: authType === "http_basic" ? password : undefined,
        token: authType === "token" ? token : undefined,
        caFile: pick("caFile").value,
        certFile: pick("certFile").value,
        keyFile: pick("keyFile").value,
        insecure: pick("insecure").value ?? false,
        timeoutMs: options.timeoutMs ?? millisecondsFromEnv(env, TIMEOUT_SECONDS_ENV) ?? DEFAULT_TIMEOUT_MS,
        retryDeadlineMs: options.retryDeadlineMs ?? millisecondsFromEnv(env, RETRY_SECONDS_ENV) ?? DEFAULT_RETRY_DEADLINE_MS,
        maxConnections: options.maxConnections ?? countFromEnv(env, MAX_CONNECTIONS_ENV) ?? DEFAULT_MAX_CONNECTIONS,
        source: url.source ?? "options",
    };
    for (const [what, file] of [["CA file", resolved.caFile], ["client certificate", resolved.certFile], ["client key", resolved.keyFile]] as const) {
        if (file && !fs.existsSync(file)) {
            throw new IronicError(`${OPERATION} failed: ${what} ${file} does not exist (from ${resolved.source})`, { operation: OPERATION });
        }
    }
    if (!!resolved.certFile !== !!resolved.keyFile) {
        throw new IronicError(`${OPERATION} failed: a client certificate needs both certFile and keyFile`, { operation: OPERATION });
    }
    return resolved;
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
        source: "options",
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
        source: env.OS_ENDPOINT ? "OS_ENDPOINT" : "IRONIC_URL",
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
