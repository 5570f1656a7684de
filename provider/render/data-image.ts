// The DataImage object beside a BareMetalHost (baremetal-operator apis/metal3.io/v1alpha1/
// dataimage_types.go; crds/metal3.io_dataimages.yaml): BMO finds a host's data image by name, the
// DataImage named as its BareMetalHost in the same namespace (internal/controller/metal3.io/
// baremetalhost_controller.go handleDataImageActions gets it by the host's NamespacedName).
// pulumi-metal3 attaches it itself (provider/host/data-image.ts; the host object is paused);
// `status.attachedImage.url` says what is attached, as BMO's attachDataImage records it. Status is
// a subresource of the CRD: a create or apply of the object does not write it (BMO, after a
// hand-over, reads the attachment from Ironic again, GetDataImageStatus). Pure.
import { assertObjectMeta, compact } from "./meta";
import type { KubeObject } from "./types";
import { DEFAULT_NAMESPACE, METAL3_API_VERSION } from "./well-known";

export interface DataImageRenderInput {
    /** The BareMetalHost's name and namespace (the DataImage takes both). */
    name: string;
    namespace?: string;
    url: string;
    /** The URL attached to the host's virtual CD now (the host's attachedDataImage output); absent: none. */
    attachedUrl?: string;
}

export interface DataImageObject extends KubeObject {
    apiVersion: "metal3.io/v1alpha1";
    kind: "DataImage";
    spec: { url: string };
    status?: { attachedImage: { url: string } };
}

export function renderDataImage(input: DataImageRenderInput): DataImageObject {
    const object: DataImageObject = {
        apiVersion: METAL3_API_VERSION,
        kind: "DataImage",
        metadata: compact({ name: input.name, namespace: input.namespace || DEFAULT_NAMESPACE }),
        spec: { url: input.url },
    };
    if (input.attachedUrl !== undefined) object.status = { attachedImage: { url: input.attachedUrl } };
    assertObjectMeta("DataImage", object.metadata);
    return object;
}
