// BMC address → Ironic driver, hardware interfaces and driver_info, as baremetal-operator's
// pkg/hardwareutils/bmc/ does it, plus `fake://` for Ironic's fake-hardware type.
// Pure: no Ironic calls. Both the input schema (check at preview) and registration use it.

export class BmcAddressError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BmcAddressError";
    }
}

export interface BmcAccess {
    address: string;
    username?: string;
    password?: string;
    disableCertificateVerification?: boolean;
    /** CA bundle path on the Ironic conductor's machine (redfish_verify_ca). */
    caFile?: string;
}

/** The parts of a BMC URL that matter, after BMO's rules (no scheme = ipmi, `+http`/`+https` = transport). */
export interface ParsedBmcAddress {
    /** Scheme as written without the transport suffix, e.g. `redfish-virtualmedia`. */
    type: string;
    /** `http` / `https` for Redfish-family schemes (default https), undefined otherwise. */
    transport?: "http" | "https";
    hostname: string;
    port?: string;
    path: string;
    query: URLSearchParams;
}

/** Ironic hardware interfaces a scheme selects. Undefined = leave it to Ironic's default. */
export interface BmcInterfaces {
    boot_interface?: string;
    bios_interface?: string;
    management_interface?: string;
    power_interface?: string;
    vendor_interface?: string;
    raid_interface?: string;
    inspect_interface?: string;
    deploy_interface?: string;
    /** Only sent when Ironic's API has firmware interfaces (>= 1.86). */
    firmware_interface?: string;
}

export interface BmcProfile {
    type: string;
    driver: string;
    interfaces: BmcInterfaces;
    driverInfo: Record<string, string | boolean>;
    /** Inspect interface for `inspectionMode: fast` (out-of-band), undefined when the driver cannot do it. */
    fastInspectInterface?: string;
    supportsSecureBoot: boolean;
    supportsRaid: boolean;
    /** Boots the ramdisk from an ISO through virtual media (no provisioning network needed). */
    supportsIsoRamdisk: boolean;
    needsMac: boolean;
    /** fake-hardware: no real BMC, no credentials needed. */
    isFake: boolean;
    /** The BMC speaks TLS (the Redfish family): a CA (caFile) can verify it. */
    usesTls: boolean;
}

interface SchemeRule {
    driver: string;
    interfaces: BmcInterfaces;
    family: "ipmi" | "redfish" | "fake";
    fastInspectInterface?: string;
    supportsSecureBoot: boolean;
    supportsIsoRamdisk: boolean;
    needsMac?: boolean;
    /** redfish-uefihttp always sends redfish_system_id. */
    alwaysSystemId?: boolean;
}

const IPMI: SchemeRule = {
    driver: "ipmi",
    family: "ipmi",
    interfaces: { boot_interface: "ipxe", raid_interface: "no-raid" },
    supportsSecureBoot: false,
    supportsIsoRamdisk: false,
};
const REDFISH: SchemeRule = {
    driver: "redfish",
    family: "redfish",
    interfaces: { boot_interface: "ipxe", raid_interface: "redfish", firmware_interface: "redfish" },
    fastInspectInterface: "redfish",
    supportsSecureBoot: true,
    supportsIsoRamdisk: false,
};
const REDFISH_VMEDIA: SchemeRule = { ...REDFISH, interfaces: { ...REDFISH.interfaces, boot_interface: "redfish-virtual-media" }, supportsIsoRamdisk: true };
const IDRAC_INTERFACES: BmcInterfaces = {
    bios_interface: "idrac-redfish",
    management_interface: "idrac-redfish",
    power_interface: "idrac-redfish",
    vendor_interface: "idrac-redfish",
    raid_interface: "idrac-redfish",
    firmware_interface: "redfish",
};

/** Scheme (without +http/+https) → rule. Keys are exactly BMO's registered schemes. */
const SCHEMES: Record<string, SchemeRule> = {
    ipmi: IPMI,
    libvirt: { ...IPMI, needsMac: true },
    redfish: REDFISH,
    "ilo5-redfish": REDFISH,
    "redfish-virtualmedia": REDFISH_VMEDIA,
    "ilo5-virtualmedia": REDFISH_VMEDIA,
    "idrac-redfish": { ...REDFISH, driver: "idrac", interfaces: { ...IDRAC_INTERFACES, boot_interface: "ipxe" } },
    "idrac-virtualmedia": {
        ...REDFISH,
        driver: "idrac",
        interfaces: { ...IDRAC_INTERFACES, boot_interface: "idrac-redfish-virtual-media" },
        supportsIsoRamdisk: true,
    },
    "redfish-uefihttp": { ...REDFISH, interfaces: { ...REDFISH.interfaces, boot_interface: "redfish-https" }, supportsIsoRamdisk: true, alwaysSystemId: true },
    fake: {
        driver: "fake-hardware",
        family: "fake",
        interfaces: {
            boot_interface: "fake",
            bios_interface: "fake",
            deploy_interface: "fake",
            inspect_interface: "fake",
            management_interface: "fake",
            power_interface: "fake",
            raid_interface: "fake",
            vendor_interface: "fake",
        },
        fastInspectInterface: "fake",
        supportsSecureBoot: true,
        supportsIsoRamdisk: true,
    },
};

export const BMC_SCHEMES: readonly string[] = Object.keys(SCHEMES);

/** Schemes that take a `+http` / `+https` transport suffix (the Redfish family). */
function takesTransport(type: string): boolean {
    return SCHEMES[type]?.family === "redfish";
}

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

function isValidHostname(host: string): boolean {
    if (host.startsWith("[") && host.endsWith("]")) return true; // IPv6 literal, URL already parsed it
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split(".").every((o) => Number(o) <= 255);
    if (host.length > 253) return false;
    return host.split(".").every((label) => DNS_LABEL.test(label));
}

/** Parses a BMC address as BMO does. Throws BmcAddressError naming the problem. */
export function parseBmcAddress(address: string): ParsedBmcAddress {
    const trimmed = address.trim();
    if (!trimmed) throw new BmcAddressError("BMC address is empty");
    const withScheme = trimmed.includes("://") ? trimmed : `ipmi://${trimmed}`;
    let url: URL;
    try {
        url = new URL(withScheme);
    } catch {
        throw new BmcAddressError(`BMC address "${address}" is not a valid URL`);
    }
    const rawScheme = url.protocol.replace(/:$/, "").toLowerCase();
    let type = rawScheme;
    let transport: "http" | "https" | undefined;
    const plus = rawScheme.match(/^(.+)\+(http|https)$/);
    if (plus) {
        type = plus[1];
        transport = plus[2] as "http" | "https";
        if (!takesTransport(type)) throw new BmcAddressError(`BMC address "${address}": scheme "${type}" does not take a "+${transport}" transport`);
    }
    if (!SCHEMES[type]) {
        throw new BmcAddressError(`unknown BMC type "${rawScheme}" in address "${address}" (known: ${BMC_SCHEMES.join(", ")})`);
    }
    if (takesTransport(type) && !transport) transport = "https";
    // fake:// needs no reachable host: anything (even nothing) names the fake BMC.
    if (type !== "fake") {
        if (!url.hostname) throw new BmcAddressError(`BMC address "${address}" has no host`);
        if (!isValidHostname(url.hostname)) throw new BmcAddressError(`BMC address "${address}": host "${url.hostname}" is not a valid IP address or DNS name`);
    }
    return { type, transport, hostname: url.hostname, port: url.port || undefined, path: decodeURIComponent(url.pathname), query: url.searchParams };
}

/** The address as Ironic's redfish_address wants it: `<transport>://<host[:port]>`. */
function redfishAddress(p: ParsedBmcAddress): string {
    return `${p.transport}://${p.hostname}${p.port ? `:${p.port}` : ""}`;
}

/** Everything Ironic needs to enrol a node behind this BMC (baremetal-operator pkg/hardwareutils/bmc/). */
export function bmcProfile(bmc: BmcAccess): BmcProfile {
    const parsed = parseBmcAddress(bmc.address);
    const rule = SCHEMES[parsed.type];
    const driverInfo: Record<string, string | boolean> = {};
    const insecure = bmc.disableCertificateVerification === true;
    if (rule.family === "ipmi") {
        driverInfo.ipmi_address = parsed.hostname;
        driverInfo.ipmi_port = parsed.port ?? "623";
        driverInfo.ipmi_priv_level = parsed.query.get("privilegelevel") || "ADMINISTRATOR";
        // Ironic's ipmi_cipher_suite (IPMI 2.0 cipher suite, e.g. 3 or 17): skips the slow fallback when the BMC cannot list its suites.
        const cipherSuite = parsed.query.get("ciphersuite");
        if (cipherSuite !== null) {
            if (!/^\d{1,2}$/.test(cipherSuite) || Number(cipherSuite) > 17)
                throw new BmcAddressError(`BMC address "${bmc.address}": ciphersuite must be an IPMI cipher suite number 0-17 (got "${cipherSuite}")`);
            driverInfo.ipmi_cipher_suite = cipherSuite;
        }
        if (bmc.username !== undefined) driverInfo.ipmi_username = bmc.username;
        if (bmc.password !== undefined) driverInfo.ipmi_password = bmc.password;
        if (insecure) driverInfo.ipmi_verify_ca = false;
    } else if (rule.family === "redfish") {
        driverInfo.redfish_address = redfishAddress(parsed);
        const trimmedPath = parsed.path.replace(/^\/+|\/+$/g, "");
        if (rule.alwaysSystemId || (trimmedPath !== "" && trimmedPath !== "redfish/v1")) driverInfo.redfish_system_id = parsed.path;
        if (bmc.username !== undefined) driverInfo.redfish_username = bmc.username;
        if (bmc.password !== undefined) driverInfo.redfish_password = bmc.password;
        if (insecure) driverInfo.redfish_verify_ca = false;
        // Ironic's redfish_verify_ca takes a CA bundle path as well as a boolean: the path is read
        // by the conductor, on its own machine.
        else if (bmc.caFile !== undefined) driverInfo.redfish_verify_ca = bmc.caFile;
    }
    return {
        type: parsed.type,
        driver: rule.driver,
        interfaces: { ...rule.interfaces },
        driverInfo,
        fastInspectInterface: rule.fastInspectInterface,
        supportsSecureBoot: rule.supportsSecureBoot,
        supportsRaid: rule.interfaces.raid_interface !== "no-raid",
        supportsIsoRamdisk: rule.supportsIsoRamdisk,
        needsMac: rule.needsMac === true,
        isFake: rule.family === "fake",
        usesTls: rule.family === "redfish",
    };
}

/** URLs of the ironic-python-agent images (Metal³'s DEPLOY_KERNEL_URL / DEPLOY_RAMDISK_URL / DEPLOY_ISO_URL). */
export interface DeployImages {
    deployKernel?: string;
    deployRamdisk?: string;
    deployIso?: string;
}

/** driver_info keys the agent images go to; never compared with the BMC fingerprint. */
export const DEPLOY_IMAGE_KEYS = ["deploy_kernel", "deploy_ramdisk", "deploy_iso"] as const;

/**
 * driver_info for the agent images, as BMO's setDeployImage: the ISO when the driver boots one
 * through virtual media, else kernel + ramdisk (both or nothing). The keys of the other kind are
 * set to null (removed) so a node never carries both.
 */
export function deployImageDriverInfo(profile: BmcProfile, images: DeployImages): Record<string, string | null> {
    if (profile.isFake) return {};
    if (images.deployIso && profile.supportsIsoRamdisk) return { deploy_iso: images.deployIso, deploy_kernel: null, deploy_ramdisk: null };
    if (images.deployKernel && images.deployRamdisk) return { deploy_kernel: images.deployKernel, deploy_ramdisk: images.deployRamdisk, deploy_iso: null };
    return {};
}

/** Ironic's "Missing are: ['deploy_kernel', 'deploy_ramdisk']" (and deploy_iso): the node has no agent image. */
export function missingAgentImages(text: string | null | undefined): boolean {
    return !!text && /Missing are:.*deploy_(kernel|ramdisk|iso)/.test(text);
}

/** What to tell a user whose host needs an agent image it does not have. */
export function agentImagesNeeded(profile: Pick<BmcProfile, "driver" | "supportsIsoRamdisk">, forWhat: string): string {
    const iso = profile.supportsIsoRamdisk ? " (or deployIso, this driver boots it by virtual media)" : "";
    return (
        `${forWhat} on driver ${profile.driver} needs the ironic-python-agent images: set deployKernel and deployRamdisk${iso} on the host, ` +
        `or as stack config pulumi-metal3:deployKernel / pulumi-metal3:deployRamdisk${profile.supportsIsoRamdisk ? " / pulumi-metal3:deployIso" : ""} (metal3:deployKernel etc. in YAML, Python and Go programs), ` +
        `or give Ironic's conductor defaults ([conductor] deploy_kernel / deploy_ramdisk). Without an agent only a live-iso image ` +
        `with automatedCleaningMode: disabled can be deployed`
    );
}

/**
 * The driver_info keys Ironic shows as they are (all but the password, which it masks): where the
 * BMC is, how it is verified, who logs in. A change of any on the node that the program did not
 * make is BMC drift: Ironic would send the BMC password to wherever they now point.
 */
export function visibleBmcKeys(profile: BmcProfile): string[] {
    return Object.keys(profile.driverInfo).filter((k) => !/_password$/.test(k));
}

/** driver_info keys that turn TLS verification of the BMC off or point it to another CA. */
const VERIFY_KEYS = ["redfish_verify_ca", "ipmi_verify_ca"];

/**
 * How the node's BMC settings differ from the declared ones, `key: node value (declared value)`
 * per key; empty when they agree. Only the keys Ironic shows unmasked are compared.
 */
export function bmcDrift(profile: BmcProfile, driverInfo: Record<string, unknown> | undefined): string[] {
    const on = driverInfo ?? {};
    const text = (v: unknown) => (v === undefined || v === null ? "(none)" : String(v));
    const keys = [...visibleBmcKeys(profile), ...VERIFY_KEYS.filter((k) => k in on && !(k in profile.driverInfo))];
    return [...new Set(keys)]
        .filter((k) => text(on[k]) !== text(profile.driverInfo[k]))
        .map((k) => `${k}: ${text(on[k])} (declared ${text(profile.driverInfo[k])})`);
}

/**
 * The BMC address as the node's driver_info now has it, written like `declared` (same scheme and
 * query): what `refresh` reports when the node's BMC was pointed elsewhere out of band.
 */
export function observedBmcAddress(declared: string, driverInfo: Record<string, unknown> | undefined): string {
    const p = parseBmcAddress(declared);
    const on = driverInfo ?? {};
    const rule = SCHEMES[p.type];
    const query = p.query.toString() ? `?${p.query.toString()}` : "";
    const bracket = (h: string) => (h.includes(":") && !h.startsWith("[") ? `[${h}]` : h);
    if (rule.family === "ipmi" && typeof on.ipmi_address === "string") {
        const port = on.ipmi_port !== undefined && String(on.ipmi_port) !== "623" ? `:${on.ipmi_port}` : "";
        return `${p.type}://${bracket(on.ipmi_address)}${port}${p.path === "/" ? "" : p.path}${query}`;
    }
    if (rule.family === "redfish" && typeof on.redfish_address === "string") {
        let url: URL;
        try {
            url = new URL(on.redfish_address);
        } catch {
            return `${p.type}://${on.redfish_address}`;
        }
        const transport = url.protocol.replace(/:$/, "");
        const systemId = typeof on.redfish_system_id === "string" ? on.redfish_system_id : p.path;
        return `${p.type}+${transport}://${url.host}${systemId}${query}`;
    }
    return declared;
}
