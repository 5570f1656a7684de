// Pieces of input schema shared by every resource: the Ironic connection block and the handling of
// values that are still unknown at `pulumi preview`.
import { z } from "zod";
import { DURATION, LEGACY_UNIT_SUFFIX, parseDuration, type LegacyTimeoutUnit } from "../../provider/duration";

/**
 * At preview the engine sends inputs it cannot know yet (outputs of other resources) as this
 * sentinel string. `check` and `diff` must accept it wherever a value is expected.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A schema's output type once every value is known (create/update time): the sentinel removed, all the way down. */
export type Known<T> = T extends typeof UNKNOWN ? never : T extends (infer U)[] ? Known<U>[] : T extends object ? { [K in keyof T]: Known<T[K]> } : T;

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/** True when the value, or anything inside it, is still unknown. */
export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
    return false;
}

/**
 * Wraps a schema so the unknown sentinel passes validation at preview. The real value is
 * validated again when it is known (the engine calls check again before create/update).
 */
export function orUnknown<T extends z.ZodTypeAny>(schema: T) {
    return z.union([z.literal(UNKNOWN), schema]);
}

/**
 * Kubernetes object name (DNS-1123 subdomain): a BareMetalHost's or Machine's name becomes the
 * name of the Metal³ / Cluster API objects and, as `<namespace>~<name>`, of its Ironic node or
 * allocation, so it is held to the apiserver's rule at preview.
 */
export const K8S_OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes namespace name (DNS-1123 label). */
export const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Ironic's limit on a node or allocation name (`<namespace>~<name>` here). */
export const IRONIC_NAME_MAX_LENGTH = 255;

export const objectNameSchema = z
    .string()
    .min(1)
    .max(253)
    .regex(
        K8S_OBJECT_NAME,
        "must be a Kubernetes object name (DNS-1123 subdomain): lower case letters, digits, '-' and '.', starting and ending with a letter or digit",
    );
export const namespaceSchema = z
    .string()
    .min(1)
    .max(63)
    .regex(
        K8S_NAMESPACE,
        "must be a Kubernetes namespace name (DNS-1123 label): lower case letters, digits and '-', starting and ending with a letter or digit",
    );

/** Why `<namespace>~<name>` cannot name an Ironic node or allocation, or undefined when it can. */
export function ironicNameProblem(namespace: string, name: string): string | undefined {
    const length = namespace.length + 1 + name.length;
    if (length <= IRONIC_NAME_MAX_LENGTH) return undefined;
    return `is too long: with namespace "${namespace}" the Ironic name <namespace>~<name> has ${length} characters, Ironic allows ${IRONIC_NAME_MAX_LENGTH}`;
}

// ---------------------------------------------------------------------------------------------
// URLs and checksums as Ironic will receive them. A WHATWG URL parser (`new URL()`, zod's
// `.url()`) silently rewrites what it is given: it drops CR, LF and tab anywhere, trims spaces,
// turns `\` into `/` and reads `http:host` as `http://host/`, so a value it accepts is not
// necessarily the value Ironic gets (Ironic and the agent parse the string as written). And a URL
// with `user:password@` puts the password into every place the URL goes: the Pulumi state (URLs
// are not secret inputs), Ironic's node, its logs. These checks refuse such values at preview.

/** What a URL-valued input is, for the message that names where credentials belong. */
export type UrlRole = "bmc" | "ironic" | "image" | "checksum" | "agent";

const CREDENTIALS_BELONG: Record<UrlRole, string> = {
    bmc: "give them as bmc.username and bmc.password (the password is a secret input, sent only to Ironic's driver_info)",
    ironic: "give them as ironic.username / ironic.password (or ironic.token), or stack config pulumi-metal3:ironicUsername / --secret pulumi-metal3:ironicPassword",
    image: "serve the image without them, or give Ironic the image server's credentials in its own configuration ([deploy] image_server_auth_strategy, image_server_user, image_server_password)",
    checksum:
        "serve the checksum file without them, or give Ironic the image server's credentials in its own configuration ([deploy] image_server_auth_strategy, image_server_user, image_server_password)",
    agent: "serve the agent images without them, or give Ironic the image server's credentials in its own configuration",
};

/** Characters a WHATWG parser drops or rewrites, or that no URL may hold unencoded. */
// eslint-disable-next-line no-control-regex -- control characters are what this pattern refuses
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u00a0\u2028\u2029]/;

/**
 * Why `value` is not a URL Ironic will receive as written, or undefined when it is. `schemes`:
 * the accepted schemes (lower case, without `:`); `hostless`: schemes that may have an empty host
 * (file:///path). Pure.
 */
export function urlProblem(value: string, role: UrlRole, schemes: readonly string[], hostless: readonly string[] = ["file"]): string | undefined {
    if (value === "") return "must not be empty";
    if (value !== value.trim()) return `"${printable(value)}" has white space around it: remove it (Ironic receives the value as written)`;
    const bad = value.match(CONTROL_OR_SPACE);
    if (bad)
        return `"${printable(value)}" contains ${describeChar(bad[0])}: a URL parser would silently drop or rewrite it; write the URL without it (percent-encode a space as %20)`;
    if (value.includes("\\")) return `"${printable(value)}" contains a backslash: URL parsers read it as "/" but Ironic would not; use "/"`;
    const m = value.match(/^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s);
    if (!m) return `"${value}" is not a URL: it needs a scheme (${schemes.map((s) => `${s}://`).join(", ")})`;
    const scheme = m[1].toLowerCase();
    if (!schemes.includes(scheme)) return `"${value}": scheme "${m[1]}" is not accepted here (use ${schemes.map((s) => `${s}://`).join(", ")})`;
    if (!m[2].startsWith("//")) return `"${value}" has no "//" after "${m[1]}:": a URL parser would guess the host; write ${scheme}://host/...`;
    const authority = m[2].slice(2).split(/[/?#]/, 1)[0];
    if (authority.includes("@")) {
        return `carries credentials in the URL (user:password@): they would be stored in plain text in the Pulumi state and on the Ironic node; remove them and ${CREDENTIALS_BELONG[role]}`;
    }
    // `http:///x` has no host; a WHATWG parser takes "x" as the host instead.
    if (authority === "" && !hostless.includes(scheme)) return `"${value}" has no host (a URL parser would take the first path segment for one)`;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return `"${value}" is not a valid URL`;
    }
    if (!url.hostname && !hostless.includes(scheme)) return `"${value}" has no host`;
    return undefined;
}

function describeChar(c: string): string {
    if (c === "\n") return "a line feed";
    if (c === "\r") return "a carriage return";
    if (c === "\t") return "a tab";
    if (c === " ") return "a space";
    return `the character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The value with control characters shown as escapes (for messages). */
function printable(value: string): string {
    return JSON.stringify(value).slice(1, -1);
}

/** Hex digits of a digest of each checksum type Ironic verifies (ironic/common/checksum_utils.py). */
export const DIGEST_HEX_LENGTH = { md5: 32, sha256: 64, sha512: 128 } as const;

/**
 * Why `checksum` cannot be what Ironic checks an image against, or undefined. A checksum is a
 * digest in hex or the URL of a checksum file; with a named `checksumType` a digest must have
 * that type's length; with none (or auto) Ironic tells the type by the length, so any of them. Pure.
 */
export function checksumProblem(checksum: string, checksumType: string | undefined): string | undefined {
    if (checksum === "") return "must not be empty";
    if (checksum !== checksum.trim()) return `"${printable(checksum)}" has white space around it: remove it (Ironic compares the value as written)`;
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(checksum)) return urlProblem(checksum, "checksum", ["http", "https", "file"]);
    if (!/^[0-9a-fA-F]+$/.test(checksum))
        return `"${printable(checksum)}" is neither a hex digest (0-9, a-f) nor the http(s):// or file:// URL of a checksum file`;
    const type = checksumType && checksumType !== "auto" ? checksumType : undefined;
    if (type && type in DIGEST_HEX_LENGTH) {
        const want = DIGEST_HEX_LENGTH[type as keyof typeof DIGEST_HEX_LENGTH];
        if (checksum.length !== want) return `"${checksum}" has ${checksum.length} hex digits; a ${type} digest has ${want}`;
    }
    return undefined;
}

/**
 * Why a BMC address is not what Ironic will receive, or undefined: the checks of urlProblem that
 * apply to an address without a scheme too (`192.0.2.1:623` means ipmi://). The scheme itself is
 * judged by provider/host/bmc.ts parseBmcAddress. Pure.
 */
export function bmcAddressProblem(address: string): string | undefined {
    if (address !== address.trim()) return `"${printable(address)}" has white space around it: remove it (Ironic receives the address as written)`;
    const bad = address.match(CONTROL_OR_SPACE);
    if (bad) return `"${printable(address)}" contains ${describeChar(bad[0])}: a URL parser would silently drop or rewrite it`;
    if (address.includes("\\")) return `"${printable(address)}" contains a backslash: URL parsers read it as "/"; use "/"`;
    const afterScheme = address.includes("://") ? address.slice(address.indexOf("://") + 3) : address;
    if (afterScheme.split(/[/?#]/, 1)[0].includes("@")) {
        return `carries credentials in the URL (user:password@): they would be stored in plain text in the Pulumi state; remove them and ${CREDENTIALS_BELONG.bmc}`;
    }
    if (address.includes("://") && afterScheme.split(/[/?#]/, 1)[0] === "" && !/^fake:/i.test(address)) return `"${address}" has no host`;
    return undefined;
}

/** A zod string that must be a URL Ironic receives as written (see urlProblem). */
export function urlString(role: UrlRole, schemes: readonly string[], maxLength?: number) {
    return (maxLength ? z.string().max(maxLength) : z.string()).superRefine((v, ctx) => {
        const problem = urlProblem(v, role, schemes);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    });
}

/** Schemes Ironic (and the agent) download images from. */
export const IMAGE_URL_SCHEMES = ["http", "https", "ftp", "oci", "file"] as const;
/** Schemes of the agent images (driver_info deploy_kernel/deploy_ramdisk/deploy_iso). */
export const AGENT_URL_SCHEMES = ["http", "https", "file"] as const;

/** Where to find Ironic. The first layer that names an Ironic (this input, else stack config, else the environment) gives the whole connection (sdk/connection.ts). */
export const ironicConnectionSchema = z
    .object({
        url: urlString("ironic", ["http", "https"]).describe("Ironic API endpoint, e.g. https://ironic.example:6385").optional(),
        authType: z.enum(["none", "http_basic", "token"]).describe("Authentication: none (noauth), http_basic or token").optional(),
        username: z.string().min(1).describe("HTTP basic user name").optional(),
        password: z.string().min(1).describe("HTTP basic password (secret)").optional(),
        token: z.string().min(1).describe("Auth token sent as X-Auth-Token (secret)").optional(),
        cloud: z.string().min(1).describe("Entry of clouds.yaml to use, as OS_CLOUD").optional(),
        caFile: z.string().min(1).describe("CA bundle to verify Ironic's TLS certificate").optional(),
        certFile: z.string().min(1).describe("Client certificate (PEM)").optional(),
        keyFile: z.string().min(1).describe("Client certificate key (PEM)").optional(),
        insecure: z.boolean().describe("Skip TLS verification (explicit opt-in; every run then warns)").optional(),
        allowInsecureHttp: z
            .boolean()
            .describe("Send credentials over plain http:// to an Ironic that is not on loopback (refused otherwise: anyone on the path reads them)")
            .optional(),
    })
    .strict();

export type IronicConnectionInput = z.infer<typeof ironicConnectionSchema>;

/** Input names whose values are secrets (kept secret in state and outputs). */
export const IRONIC_SECRET_FIELDS = ["password", "token"] as const;

/**
 * Secret input paths every resource shares: the config drive (user data may carry bootstrap
 * tokens) and the connection's credentials. Each resource's list (HOST_SECRET_INPUTS,
 * MACHINE_SECRET_INPUTS) starts from these; sdk/schema/resources.ts derives every secret marking
 * (classes, plugin, schema.json) from those lists.
 */
export const COMMON_SECRET_INPUTS = ["userData", "networkData", "metaData", ...IRONIC_SECRET_FIELDS.map((f) => `ironic.${f}` as const)] as const;

/**
 * A deadline, in one unit for every resource: a duration as Pulumi writes `customTimeouts`
 * ("90s", "20m", "1h30m"). A plain number is refused with the string it meant in earlier releases
 * (minutes on a BareMetalHost, seconds on a Machine); state from then is read in that unit
 * (provider/duration.ts).
 */
export function timeoutSchema(legacyUnit: LegacyTimeoutUnit) {
    return z
        .string({
            errorMap: (issue, ctx) =>
                issue.code === "invalid_type" && typeof ctx.data === "number"
                    ? {
                          message:
                              `is a plain number: timeouts are durations as in customTimeouts; write "${ctx.data}${LEGACY_UNIT_SUFFIX[legacyUnit]}" ` +
                              `(${ctx.data} ${legacyUnit}, as earlier releases read this resource's numbers)`,
                      }
                    : { message: ctx.defaultError },
        })
        .regex(DURATION, 'must be a duration like "90s", "20m" or "1h30m" (units ms, s, m, h), as in customTimeouts')
        .refine((v) => !DURATION.test(v) || parseDuration(v) > 0, "must be longer than zero");
}
