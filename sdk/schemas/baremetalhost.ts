// BareMetalHost inputs: THE source of truth (check, the TypeScript args type and schema.json are
// all derived from this). Field names and meanings follow Metal³'s BareMetalHost spec
// (baremetal-operator apis/metal3.io/v1alpha1/baremetalhost_types.go); every leaf also accepts the preview-time UNKNOWN sentinel, and every cross-field
// rule skips values that are still unknown (check runs again once they are known).
import { z } from "zod";
import { BmcAddressError, BMC_SCHEMES, bmcProfile, parseBmcAddress } from "../../provider/host/bmc";
import { DEFAULT_NAMESPACE } from "../../provider/render/well-known";
import type { HostInputs } from "../../provider/host/inputs";
import { DURATION, parseDuration } from "../../provider/duration";
import {
    COMMON_SECRET_INPUTS,
    containsUnknown,
    ironicConnectionSchema,
    timeoutSchema,
    type Known,
    ironicNameProblem,
    isUnknown,
    namespaceSchema,
    objectNameSchema,
    orUnknown,
    UNKNOWN,
} from "./common";
import { AGENT_URL_SCHEMES, bmcAddressProblem, checksumProblem, IMAGE_URL_SCHEMES, urlString } from "./common";
import { DEFAULT_OPERATION_MINUTES, DEFAULT_PHASE_MINUTES } from "../../provider/host/desired";
import { DATA_IMAGE_URL_SCHEMES, dataImageDriverProblem } from "../../provider/host/data-image";

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ironic: a trait is a standard os-traits name or CUSTOM_[A-Z0-9_]+, at most 255 characters. */
const TRAIT = /^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]*[A-Z0-9])$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes label key rule: optional DNS-subdomain prefix + "/" + name (≤63). Returns why not, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
        return `label key "${key}": prefix must be a DNS subdomain (lower case, at most 253 characters)`;
    }
    if (!name || name.length > 63 || !LABEL_NAME.test(name)) {
        return `label key "${key}": name must be 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric`;
    }
    return undefined;
}

export function labelValueProblem(key: string, value: string): string | undefined {
    if (value === "") return undefined;
    if (value.length > 63 || !LABEL_NAME.test(value)) {
        return `label "${key}" value "${value}" must be at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric`;
    }
    return undefined;
}

const str = (d: string) => orUnknown(z.string()).describe(d);
const bool = (d: string) => orUnknown(z.boolean()).describe(d);
const nonNegativeInt = (d: string) => orUnknown(z.number().int().nonnegative()).describe(d);

/** userData / networkData / metaData: text (JSON, YAML, cloud-config...) or an object. Always secret. */
const dataValue = (d: string) => orUnknown(z.union([z.string(), z.record(z.unknown())])).describe(d);

export const rootDeviceHintsSchema = z
    .object({
        deviceName: str("Device path, e.g. /dev/sda or /dev/disk/by-path/...; exact match (Ironic name / by_path)").optional(),
        hctl: str("SCSI host:channel:target:lun, e.g. 0:0:0:0; exact match").optional(),
        model: str("Vendor-specific device model; substring match").optional(),
        vendor: str("Device vendor; substring match").optional(),
        serialNumber: str("Disk serial number; exact match").optional(),
        minSizeGigabytes: nonNegativeInt("Smallest acceptable disk size in GB (Ironic size >=)").optional(),
        wwn: str("Unique storage identifier (WWN); exact match").optional(),
        wwnWithExtension: str("WWN with the vendor extension appended; exact match").optional(),
        wwnVendorExtension: str("Vendor extension of the WWN; exact match").optional(),
        rotational: bool("true: spinning disk only; false: SSD/NVMe only").optional(),
    })
    .strict()
    .describe("Which disk to install on (Metal³ RootDeviceHints → Ironic instance_info.root_device). Unset: /dev/sda, as BMO's default profile");

const raidLevel = z.enum(["0", "1", "2", "5", "6", "1+0", "5+0", "6+0"]);

const hardwareRaidVolumeSchema = z
    .object({
        level: orUnknown(raidLevel).describe("RAID level"),
        sizeGibibytes: nonNegativeInt("Volume size in GiB; 0 or unset = as large as possible").optional(),
        name: orUnknown(z.string().max(64)).describe("Volume name (at most 64 characters)").optional(),
        rotational: bool("true: HDDs only; false: SSDs only").optional(),
        numberOfPhysicalDisks: orUnknown(z.number().int().min(1)).describe("How many physical disks to use (>= 1)").optional(),
        controller: str("RAID controller to use").optional(),
        physicalDisks: orUnknown(z.array(z.string().min(1)))
            .describe("Physical disk names (requires controller; count must equal numberOfPhysicalDisks)")
            .optional(),
    })
    .strict();

const softwareRaidVolumeSchema = z
    .object({
        level: orUnknown(z.enum(["0", "1", "1+0"])).describe("Software RAID level"),
        sizeGibibytes: nonNegativeInt("Volume size in GiB; 0 or unset = as large as possible").optional(),
        physicalDisks: orUnknown(z.array(rootDeviceHintsSchema).min(2)).describe("Disks as root device hints (at least 2)").optional(),
        rootVolume: bool("This volume is the root volume (must be RAID-1)").optional(),
    })
    .strict();

export const raidSchema = z
    .object({
        hardwareRAIDVolumes: orUnknown(z.array(hardwareRaidVolumeSchema)).describe("Hardware RAID volumes; [] clears the configuration").optional(),
        softwareRAIDVolumes: orUnknown(z.array(softwareRaidVolumeSchema).max(2))
            .describe("Software RAID volumes (at most 2; the first must be RAID-1)")
            .optional(),
    })
    .strict()
    .describe("RAID configuration applied while preparing (Metal³ RAIDConfig)");

/** Metal³ HostFirmwareSettings spec (baremetal-operator apis/metal3.io/v1alpha1/hostfirmwaresettings_types.go): settings is map[string]IntOrString. */
export const firmwareSchema = z
    .object({
        settings: orUnknown(z.record(orUnknown(z.union([z.string().max(1024), z.number().int()]))))
            .describe(
                "BIOS settings (attribute name → value, as Metal³'s HostFirmwareSettings spec.settings), applied through Ironic's BIOS interface (bios.apply_configuration): by manual cleaning on a host that is not provisioned, by servicing on a provisioned one when updatePolicy.firmwareSettings allows it (no wipe; the host reboots). Checked at preview against the registry the host reported on the last run (read-only settings, allowed values, bounds)",
            )
            .optional(),
    })
    .strict()
    .describe("Firmware settings of the host (Metal³ HostFirmwareSettings)");

/**
 * Metal³ HostUpdatePolicy spec (baremetal-operator apis/metal3.io/v1alpha1/hostupdatepolicy_types.go):
 * which changes may be applied to a provisioned host by servicing. Without it, as in Metal³, a
 * provisioned host's firmware is left alone and the preview refuses the change.
 */
export const updatePolicySchema = z
    .object({
        firmwareSettings: z
            .enum(["onReboot"])
            .describe('"onReboot": firmware.settings changes are applied to the provisioned host by servicing (no wipe; the host reboots)')
            .optional(),
    })
    .strict()
    .describe("What may change on the host while it is provisioned (Metal³ HostUpdatePolicy)");

const duration = (d: string) => orUnknown(timeoutSchema("minutes")).describe(d);

export const hostTimeoutsSchema = z
    .object({
        create: duration(`Whole create (enrol → available/provisioned), all phases together (default ${DEFAULT_OPERATION_MINUTES.create}m)`).optional(),
        update: duration(`Whole update (e.g. undeploy + cleaning + new deploy) (default ${DEFAULT_OPERATION_MINUTES.update}m)`).optional(),
        delete: duration(`Whole delete (deprovision + delete) (default ${DEFAULT_OPERATION_MINUTES.delete}m)`).optional(),
        register: duration(`Phase: manage (BMC credential check) (default ${DEFAULT_PHASE_MINUTES.register}m)`).optional(),
        inspect: duration(`Phase: inspection (default ${DEFAULT_PHASE_MINUTES.inspect}m)`).optional(),
        clean: duration(`Phase: automated cleaning on provide (default ${DEFAULT_PHASE_MINUTES.clean}m)`).optional(),
        deploy: duration(`Phase: deploy until active (default ${DEFAULT_PHASE_MINUTES.deploy}m)`).optional(),
        deprovision: duration(`Phase: undeploy + cleaning until available (default ${DEFAULT_PHASE_MINUTES.deprovision}m)`).optional(),
        power: duration(`Phase: one power change (default ${DEFAULT_PHASE_MINUTES.power}m)`).optional(),
        softPowerOff: duration(
            `powerOffMode soft: how long the host may take to shut down before it is powered off hard (default ${DEFAULT_PHASE_MINUTES.softPowerOff}m, as baremetal-operator)`,
        ).optional(),
    })
    .strict()
    .describe(
        'Deadlines, as durations like customTimeouts ("90s", "20m", "1h30m"). Pulumi customTimeouts do not reach dynamic providers, so they are inputs here. ' +
            "Each phase runs under its own deadline and under what is left of the whole operation's",
    );

export const bmcSchema = z
    .object({
        address: str(`BMC URL; the scheme selects the Ironic driver: ${BMC_SCHEMES.join(", ")} (+http/+https for Redfish); no scheme = ipmi`),
        username: str("BMC user name (not needed for fake://)").optional(),
        password: str("BMC password (secret; not needed for fake://)").optional(),
        disableCertificateVerification: bool("Do not verify the BMC's TLS certificate (redfish_verify_ca / ipmi_verify_ca false)").optional(),
        caFile: str(
            "Absolute path of a CA certificate bundle on the Ironic conductor's machine (not this one) that verifies the BMC's TLS certificate, e.g. of a self-signed BMC (Ironic driver_info redfish_verify_ca). Redfish-family BMCs only",
        ).optional(),
    })
    .strict()
    .describe("How to reach the host's BMC (Metal³ BMCDetails; credentials inline instead of a Secret)");

const imageSchema = z
    .object({
        url: orUnknown(urlString("image", IMAGE_URL_SCHEMES)).describe("Image URL (http, https, ftp, oci...)"),
        checksum: str("Checksum value or URL of a checksum file; required unless format is live-iso or the URL is oci://").optional(),
        checksumType: orUnknown(z.enum(["md5", "sha256", "sha512", "auto"]))
            .describe("Checksum algorithm; unset/auto lets Ironic detect it")
            .optional(),
        format: orUnknown(z.enum(["raw", "qcow2", "vdi", "vmdk", "live-iso"]))
            .describe("Disk format; live-iso boots the ISO without writing the disk (no config drive)")
            .optional(),
    })
    .strict()
    .describe("Image to provision; setting it (with online: true) provisions the host, changing it reprovisions (wipes) it");

const agentImageUrl = (d: string) => orUnknown(urlString("agent", AGENT_URL_SCHEMES)).describe(d);

export const bareMetalHostInputsShape = {
    name: orUnknown(objectNameSchema).describe(
        "BareMetalHost name, a Kubernetes object name (default: the Pulumi resource name); the Ironic node is named <namespace>~<name>",
    ),
    namespace: orUnknown(namespaceSchema).describe('Kubernetes namespace of the host (default "default")').optional(),
    bmc: orUnknown(bmcSchema),
    bootMACAddress: orUnknown(z.string().regex(MAC, "must be a MAC address like 00:11:22:33:44:55"))
        .describe("MAC of the NIC the host PXE-boots from; becomes an Ironic port. Required for libvirt:// and when inspection is disabled")
        .optional(),
    bootMode: orUnknown(z.enum(["UEFI", "UEFISecureBoot", "legacy"]))
        .describe("Boot mode (default UEFI)")
        .optional(),
    online: bool("Desired power state (required, as in Metal³)"),
    description: str("Free text, stored as the Ironic node description").optional(),
    architecture: str("CPU architecture, e.g. x86_64 or aarch64 (Ironic properties.cpu_arch)").optional(),
    rootDeviceHints: orUnknown(rootDeviceHintsSchema).optional(),
    automatedCleaningMode: orUnknown(z.enum(["metadata", "disabled"]))
        .describe("metadata (default): Ironic cleans disk metadata on provide/deprovision; disabled: never")
        .optional(),
    inspectionMode: orUnknown(z.enum(["agent", "fast", "disabled"]))
        .describe(
            "agent (default): Ironic's default inspect interface (in-band by the agent on a Metal³-configured Ironic, and on the local Ironic when it has agent images); fast: out-of-band through the BMC (Redfish only); disabled: skip",
        )
        .optional(),
    externallyProvisioned: bool("The host was installed by someone else: adopt it as active, manage power only").optional(),
    disablePowerOff: bool("Never power the host off (power changes become reboots; no power-off before delete)").optional(),
    image: orUnknown(imageSchema).optional(),
    customDeploy: orUnknown(z.object({ method: orUnknown(z.string().min(1)).describe("Custom deploy step name") }).strict())
        .describe("Provision through a custom deploy step (deploy_interface custom-agent) instead of an image")
        .optional(),
    userData: dataValue("Config drive user_data, e.g. cloud-config (secret)").optional(),
    networkData: dataValue("Config drive network_data (OpenStack network_data.json), JSON/YAML text or object (secret)").optional(),
    metaData: dataValue(
        "Config drive meta_data merged over BMO's defaults (uuid, metal3-name, metal3-namespace, local-hostname, local_hostname, name) (secret)",
    ).optional(),
    labels: orUnknown(z.record(orUnknown(z.string())))
        .describe("Host labels (Kubernetes label syntax), stored as Ironic node extra.metal3_labels; Machines select hosts by them")
        .optional(),
    resourceClass: orUnknown(
        z
            .string()
            .min(1)
            .max(80)
            .regex(/^[A-Za-z0-9_.-]+$/, "must be letters, digits, '_', '.', '-'"),
    )
        .describe('Ironic resource_class (default "baremetal")')
        .optional(),
    traits: orUnknown(z.array(orUnknown(z.string())))
        .describe("Ironic node traits (CUSTOM_* or standard os-traits names), set on the node; Machines select hosts by labels, not traits")
        .optional(),
    raid: orUnknown(raidSchema).optional(),
    firmware: orUnknown(firmwareSchema).optional(),
    updatePolicy: orUnknown(updatePolicySchema).optional(),
    deployKernel: agentImageUrl(
        "URL of the ironic-python-agent kernel (driver_info deploy_kernel; Metal³ DEPLOY_KERNEL_URL). Default: stack config pulumi-metal3:deployKernel, else Ironic's [conductor] deploy_kernel",
    ).optional(),
    deployRamdisk: agentImageUrl(
        "URL of the ironic-python-agent initramfs (driver_info deploy_ramdisk; Metal³ DEPLOY_RAMDISK_URL). Default: stack config pulumi-metal3:deployRamdisk",
    ).optional(),
    deployIso: agentImageUrl(
        "URL of the ironic-python-agent ISO for virtual-media drivers (driver_info deploy_iso; Metal³ DEPLOY_ISO_URL). Default: stack config pulumi-metal3:deployIso",
    ).optional(),
    adoptNode: str(
        "Ironic node UUID or name to adopt instead of enrolling (this provider's `pulumi import`); the only way to take over a node that does not carry this stack's owner record",
    ).optional(),
    adoptForce: bool(
        "With adoptNode: take the node over even though it carries another owner's record, a deployment another resource recorded, or an Ironic allocation (a Machine's claim). The preview says everything the adoption will change; without it such a node is refused untouched",
    ).optional(),
    owner: orUnknown(
        z
            .object({
                stack: orUnknown(z.string().min(1).max(255)).describe("`<project>/<stack>`, the format Machines record on their claims"),
                resource: orUnknown(z.string().min(1).max(255)).describe("The Pulumi resource name"),
            })
            .strict(),
    )
        .describe("Who declares the host, recorded on the Ironic node at enrol (the SDK sets it): find-or-enrol only takes over a node carrying this record")
        .optional(),
    rebootRequest: orUnknown(z.string().min(1).max(255))
        .describe(
            'A token (e.g. a timestamp) whose change means "reboot now" (Metal³\'s reboot.metal3.io annotation): a provisioned, powered-on host is rebooted by Ironic without any provision state change; elsewhere the token is only recorded. Setting it on a new host does not reboot it',
        )
        .optional(),
    powerOffMode: orUnknown(z.enum(["hard", "soft"]))
        .describe(
            "How reboots and online: false on a provisioned host power the server off: hard (default, as before) or soft (ACPI shutdown through Ironic's soft power off, powered off hard when it has not gone off within timeouts.softPowerOff; the log says so)",
        )
        .optional(),
    inspectRequest: orUnknown(z.string().min(1).max(255))
        .describe(
            'A token whose change means "inspect again" (Metal³\'s inspect.metal3.io annotation): a host that is not provisioned goes manage → inspect → provide (automated cleaning per automatedCleaningMode) back to available; refused at preview on a provisioned host (Ironic inspects only manageable nodes)',
        )
        .optional(),
    detached: bool(
        "true: stop managing the host without touching the server (Metal³'s baremetalhost.metal3.io/detached): its Ironic node is removed as baremetal-operator's detach does, the server stays powered and provisioned; false again: re-enrolled under the same node UUID and adopted, never reprovisioned",
    ).optional(),
    dataImage: orUnknown(
        z
            .object({
                url: orUnknown(urlString("image", DATA_IMAGE_URL_SCHEMES)).describe(
                    "URL of the ISO (http or https), downloaded by Ironic's conductor and served to the BMC from Ironic's web server",
                ),
            })
            .strict(),
    )
        .describe(
            "An ISO attached to the provisioned host's virtual CD through Ironic's virtual media API (Metal³'s DataImage, spec.url): no reboot, no wipe; removed: ejected. On a host that is not provisioned it waits until the host is (as Metal³). Needs a Redfish-family BMC",
        )
        .optional(),
    timeouts: orUnknown(hostTimeoutsSchema).optional(),
    ironic: orUnknown(ironicConnectionSchema)
        .describe(
            "Ironic connection. With a url (or cloud) it is the whole connection, credentials included; unset, the stack config pulumi-metal3:ironic* is, else the environment",
        )
        .optional(),
};

type Ctx = z.RefinementCtx;
/** Present and not the preview-time unknown sentinel. */
function given<T>(v: T): v is Exclude<T, typeof UNKNOWN | undefined> {
    return v !== undefined && !isUnknown(v);
}
const durationKnown = (v: unknown): v is string => typeof v === "string" && DURATION.test(v);
const known = (v: unknown): boolean => v !== undefined && !containsUnknown(v);

function issue(ctx: Ctx, path: (string | number)[], message: string) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
}

/** Rules that need more than one field, or the BMC driver; each names its property. */
function crossFieldRules(v: z.infer<z.ZodObject<typeof bareMetalHostInputsShape>>, ctx: Ctx) {
    if (v.adoptForce === true && v.adoptNode === undefined) issue(ctx, ["adoptForce"], "takes effect only with adoptNode (the node to take over)");
    if (typeof v.name === "string" && given(v.name) && UUID.test(v.name)) issue(ctx, ["name"], "must not be a UUID (Metal³ rejects UUID-shaped host names)");
    if (typeof v.name === "string" && given(v.name) && (v.namespace === undefined || given(v.namespace))) {
        const tooLong = ironicNameProblem(v.namespace ?? DEFAULT_NAMESPACE, v.name);
        if (tooLong) issue(ctx, ["name"], tooLong);
    }

    let profile: ReturnType<typeof bmcProfile> | undefined;
    const bmc = v.bmc;
    const addressProblem = bmc && given(bmc) && typeof bmc.address === "string" && given(bmc.address) ? bmcAddressProblem(bmc.address) : undefined;
    if (addressProblem) issue(ctx, ["bmc", "address"], addressProblem);
    else if (bmc && given(bmc) && typeof bmc.address === "string" && given(bmc.address)) {
        try {
            parseBmcAddress(bmc.address);
            profile = bmcProfile({ address: bmc.address });
        } catch (e) {
            issue(ctx, ["bmc", "address"], e instanceof BmcAddressError ? e.message : String(e));
        }
        const caFile = bmc.caFile;
        if (caFile !== undefined && given(caFile)) {
            if (!caFile.startsWith("/")) issue(ctx, ["bmc", "caFile"], "must be an absolute path (a file on the Ironic conductor's machine)");
            if (bmc.disableCertificateVerification === true)
                issue(
                    ctx,
                    ["bmc", "caFile"],
                    "cannot be combined with disableCertificateVerification (a CA verifies the certificate; the other turns verification off)",
                );
            if (profile && !profile.usesTls) issue(ctx, ["bmc", "caFile"], `a ${profile.type}:// BMC does not use TLS; caFile is for Redfish-family BMCs`);
        }
        if (profile && !profile.isFake) {
            for (const field of ["username", "password"] as const) {
                const value = bmc[field];
                if (value === undefined || (given(value) && value.trim() === "")) {
                    issue(ctx, ["bmc", field], `is required for a ${profile.type}:// BMC (only fake:// needs no credentials)`);
                }
            }
        }
    }

    if (profile?.needsMac && v.bootMACAddress === undefined) issue(ctx, ["bootMACAddress"], `is required for a ${profile.type}:// BMC`);
    if (v.inspectionMode === "disabled" && v.bootMACAddress === undefined) issue(ctx, ["bootMACAddress"], "is required when inspectionMode is disabled");
    if (profile && v.inspectionMode === "fast" && !profile.fastInspectInterface)
        issue(ctx, ["inspectionMode"], `"fast" (out-of-band) inspection is not possible with a ${profile.type}:// BMC`);
    if (profile && v.bootMode === "UEFISecureBoot" && !profile.supportsSecureBoot)
        issue(ctx, ["bootMode"], `UEFISecureBoot is not supported by the ${profile.driver} driver (${profile.type}://)`);

    if ((v.deployKernel === undefined) !== (v.deployRamdisk === undefined)) {
        issue(
            ctx,
            [v.deployKernel === undefined ? "deployKernel" : "deployRamdisk"],
            "deployKernel and deployRamdisk go together (the agent's kernel and its initramfs)",
        );
    }
    if (profile && v.deployIso !== undefined && !profile.supportsIsoRamdisk && v.deployKernel === undefined) {
        issue(ctx, ["deployIso"], `a ${profile.type}:// BMC cannot boot an ISO by virtual media: set deployKernel and deployRamdisk instead`);
    }

    if (v.online === false && v.disablePowerOff === true) issue(ctx, ["online"], "cannot be false when disablePowerOff is true");
    if (v.powerOffMode === "soft" && v.disablePowerOff === true)
        issue(ctx, ["powerOffMode"], "soft needs a power-off, which disablePowerOff forbids (reboots are then Ironic's own)");
    if (v.inspectRequest !== undefined && v.inspectionMode === "disabled")
        issue(ctx, ["inspectRequest"], "asks for an inspection, which inspectionMode: disabled forbids");
    if (v.detached === true && v.adoptNode !== undefined && !isUnknown(v.adoptNode))
        issue(ctx, ["detached"], "cannot be combined with adoptNode: adopt the node first, then detach it");
    if (v.dataImage !== undefined && profile) {
        const problem = dataImageDriverProblem(profile.driver, profile.type);
        if (problem) issue(ctx, ["dataImage"], problem);
    }
    // A live ISO is booted from the virtual CD a data image would take (Ironic's ramdisk deploy through virtual media).
    if (v.dataImage !== undefined && v.image !== undefined && known(v.image) && (v.image as { format?: string }).format === "live-iso") {
        issue(ctx, ["dataImage"], "cannot be combined with a live-iso image: the live ISO is booted from the virtual CD the data image would take");
    }

    const image = v.image;
    if (image && given(image)) {
        const url = image.url;
        const oci = typeof url === "string" && given(url) && url.startsWith("oci://");
        const format = image.format;
        const checksumKnown = image.checksum !== undefined;
        if (!oci && !checksumKnown && format !== "live-iso" && !isUnknown(format) && !isUnknown(url))
            issue(ctx, ["image", "checksum"], "is required unless image.format is live-iso or the URL is oci://");
        if (oci && typeof image.checksum === "string" && given(image.checksum) && image.checksum !== "")
            issue(ctx, ["image", "checksum"], "must be empty for an oci:// image");
        if (typeof url === "string" && given(url) && !/^(https?|ftp|gopher|oci|file):\/\//.test(url))
            issue(ctx, ["image", "url"], "scheme must be http, https, ftp, oci or file");
        if (image.checksum === "" && !oci) issue(ctx, ["image", "checksum"], "must not be empty");
        else if (!oci && typeof image.checksum === "string" && given(image.checksum) && (image.checksumType === undefined || given(image.checksumType))) {
            const problem = checksumProblem(image.checksum, image.checksumType);
            if (problem) issue(ctx, ["image", "checksum"], problem);
        }
    }
    if (v.image !== undefined && v.customDeploy !== undefined) issue(ctx, ["customDeploy"], "cannot be combined with image: choose one way to provision");
    if (v.externallyProvisioned === true && v.image !== undefined && known(v.image) && (v.image as { format?: string }).format === "live-iso") {
        issue(ctx, ["externallyProvisioned"], "cannot be combined with a live-iso image");
    }

    const hints = v.rootDeviceHints;
    if (hints && given(hints)) {
        const dn = hints.deviceName;
        if (typeof dn === "string" && given(dn) && !dn.startsWith("/dev/"))
            issue(ctx, ["rootDeviceHints", "deviceName"], `"${dn}" must be a path under /dev/ (e.g. /dev/sda or /dev/disk/by-path/...)`);
    }

    const raid = v.raid;
    if (raid && given(raid)) {
        const hw = raid.hardwareRAIDVolumes;
        const sw = raid.softwareRAIDVolumes;
        if (profile && !profile.supportsRaid && Array.isArray(hw) && hw.length > 0)
            issue(
                ctx,
                ["raid", "hardwareRAIDVolumes"],
                `hardware RAID is not supported by the ${profile.driver} driver (${profile.type}://, raid_interface no-raid)`,
            );
        if (Array.isArray(hw) && hw.length > 0 && Array.isArray(sw) && sw.length > 0)
            issue(ctx, ["raid"], "hardwareRAIDVolumes and softwareRAIDVolumes cannot be combined");
        if (Array.isArray(hw)) {
            hw.forEach((vol, i) => {
                if (vol.physicalDisks !== undefined && given(vol.physicalDisks)) {
                    if (vol.controller === undefined) issue(ctx, ["raid", "hardwareRAIDVolumes", i, "controller"], "is required when physicalDisks are listed");
                    if (
                        typeof vol.numberOfPhysicalDisks === "number" &&
                        Array.isArray(vol.physicalDisks) &&
                        vol.physicalDisks.length !== vol.numberOfPhysicalDisks
                    ) {
                        issue(
                            ctx,
                            ["raid", "hardwareRAIDVolumes", i, "physicalDisks"],
                            `lists ${vol.physicalDisks.length} disks but numberOfPhysicalDisks is ${vol.numberOfPhysicalDisks}`,
                        );
                    }
                }
            });
        }
        if (Array.isArray(sw)) {
            if (sw.length > 0 && sw[0].level !== "1" && given(sw[0].level))
                issue(ctx, ["raid", "softwareRAIDVolumes", 0, "level"], 'the first software RAID volume must be RAID-1 ("1")');
            const roots = sw.filter((s) => s.rootVolume === true);
            if (roots.length > 1) issue(ctx, ["raid", "softwareRAIDVolumes"], "at most one volume can be the rootVolume");
            sw.forEach((s, i) => {
                if (s.rootVolume === true && s.level !== "1" && given(s.level))
                    issue(ctx, ["raid", "softwareRAIDVolumes", i, "rootVolume"], "the root volume must be RAID-1");
            });
            if (roots.length > 0 && v.rootDeviceHints !== undefined) issue(ctx, ["rootDeviceHints"], "cannot be combined with a software RAID rootVolume");
        }
    }

    const traits = v.traits;
    if (Array.isArray(traits)) {
        if (traits.length > 50) issue(ctx, ["traits"], `Ironic accepts at most 50 traits per node (got ${traits.length})`);
        const seen = new Set<string>();
        traits.forEach((t, i) => {
            if (!given(t)) return;
            if (t.length > 255 || !TRAIT.test(t))
                issue(ctx, ["traits", i], `"${t}" is not an Ironic trait: use CUSTOM_[A-Z0-9_]+ or a standard os-traits name (upper case)`);
            if (seen.has(t)) issue(ctx, ["traits", i], `"${t}" is listed twice`);
            seen.add(t);
        });
    }

    const labels = v.labels;
    if (labels && given(labels)) {
        for (const [key, value] of Object.entries(labels)) {
            const problem = labelKeyProblem(key) ?? (isUnknown(value) ? undefined : labelValueProblem(key, value));
            if (problem) issue(ctx, ["labels", key], problem);
        }
    }

    const t = v.timeouts;
    if (t && given(t) && durationKnown(t.power) && durationKnown(t.create) && parseDuration(t.power) > parseDuration(t.create)) {
        issue(ctx, ["timeouts", "power"], "is longer than the whole create timeout");
    }
}

export const bareMetalHostInputsSchema = z.object(bareMetalHostInputsShape).strict().superRefine(crossFieldRules);

/** Inputs as the program writes them (the SDK's args type derives from this). */
export type BareMetalHostInputs = z.infer<typeof bareMetalHostInputsSchema>;

// The provider reads the inputs through its own type (provider/ never imports from sdk/); what
// this schema accepts, once every value is known, must fit it. A compile error here means the
// two drifted: change provider/host/inputs.ts with the schema.
const _fitsProviderType = (i: Known<BareMetalHostInputs>): HostInputs => i;
void _fitsProviderType;

/** Input paths whose values are secrets: wrapped in pulumi.secret by the SDK, hashed (never copied) in outputs. */
export const HOST_SECRET_INPUTS = ["bmc.password", ...COMMON_SECRET_INPUTS] as const;

export interface CheckFailure {
    property: string;
    reason: string;
}

/** The real problem behind a union with the UNKNOWN literal (zod reports the literal mismatch too). */
function innermost(i: z.ZodIssue): z.ZodIssue {
    if (i.code !== z.ZodIssueCode.invalid_union) return i;
    const candidates = i.unionErrors.flatMap((e) => e.issues).filter((x) => x.code !== z.ZodIssueCode.invalid_literal);
    // Prefer the deepest issue: it names the exact property.
    candidates.sort((a, b) => b.path.length - a.path.length);
    return candidates.length ? innermost(candidates[0]) : i;
}

/** zod issues → Pulumi check failures `{property: "bmc.address", reason}`. */
export function checkFailures(error: z.ZodError): CheckFailure[] {
    return error.issues.flatMap((raw) => {
        const i = innermost(raw);
        if (i.code === z.ZodIssueCode.unrecognized_keys) {
            // One failure per unknown field, named by its full path.
            return i.keys.map((k) => ({ property: [...i.path.map(String), k].join("."), reason: "is not a BareMetalHost field" }));
        }
        return [{ property: i.path.length ? i.path.map(String).join(".") : "(inputs)", reason: i.message }];
    });
}
