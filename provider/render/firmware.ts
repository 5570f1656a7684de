// The Metal³ HostFirmwareSettings object of a host whose program sets `firmware.settings`
// (baremetal-operator apis/metal3.io/v1alpha1/hostfirmwaresettings_types.go;
// crds/metal3.io_hostfirmwaresettings.yaml): named as the BareMetalHost, as BMO names it, with
// spec.settings as given (IntOrString: integers stay integers). pulumi-metal3 applies the settings
// itself (provider/host/firmware.ts); the object says on the cluster what the program asked, for
// a BMO that takes the host over. Status is BMO's to write: not rendered. Pure.
import { assertObjectMeta, compact } from "./meta";
import type { HostFirmwareSettingsObject, HostRenderInput, HostUpdatePolicyObject } from "./types";
import { DEFAULT_NAMESPACE, METAL3_API_VERSION } from "./well-known";

export function renderHostFirmwareSettings(input: Pick<HostRenderInput, "name" | "namespace" | "firmware">): HostFirmwareSettingsObject | undefined {
    const settings = input.firmware?.settings;
    if (!settings || Object.keys(settings).length === 0) return undefined;
    const obj: HostFirmwareSettingsObject = {
        apiVersion: METAL3_API_VERSION,
        kind: "HostFirmwareSettings",
        metadata: compact({ name: input.name, namespace: input.namespace || DEFAULT_NAMESPACE }),
        spec: {
            settings: Object.fromEntries(
                Object.keys(settings)
                    .sort()
                    .map((k) => [k, settings[k]]),
            ),
        },
    };
    assertObjectMeta("HostFirmwareSettings", obj.metadata);
    return obj;
}

/**
 * The host's HostUpdatePolicy (baremetal-operator apis/metal3.io/v1alpha1/hostupdatepolicy_types.go),
 * named as the BareMetalHost as BMO looks it up: with it, a BMO that takes the host over applies
 * firmware settings to the provisioned host by servicing, as pulumi-metal3 does
 * (provider/host/lifecycle.ts firmwareByServicing); without it, neither does. Pure.
 */
export function renderHostUpdatePolicy(input: Pick<HostRenderInput, "name" | "namespace" | "updatePolicy">): HostUpdatePolicyObject | undefined {
    const firmwareSettings = input.updatePolicy?.firmwareSettings;
    if (!firmwareSettings) return undefined;
    const obj: HostUpdatePolicyObject = {
        apiVersion: METAL3_API_VERSION,
        kind: "HostUpdatePolicy",
        metadata: compact({ name: input.name, namespace: input.namespace || DEFAULT_NAMESPACE }),
        spec: { firmwareSettings },
    };
    assertObjectMeta("HostUpdatePolicy", obj.metadata);
    return obj;
}
